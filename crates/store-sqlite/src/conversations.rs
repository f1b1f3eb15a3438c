//! Per-user conversation state: the conversation list, read marks and unread counts.
//!
//! A user row keeps `read_seq` and `read_counted` (the `counted_index` of the message at
//! `read_seq`); the conversation row keeps `counted_total`. The unread count is their difference,
//! so no write ever touches a row per recipient.

use mynah_store::{
    AppId, ChangeRecord, ConversationChanged, ConversationKey, ConversationRecord, ReadMarked, StoreError,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::changes;
use crate::messages::{message_columns, message_from_row};
use crate::rows::backend;

/// The user's conversations joined with their conversation rows and last visible messages.
/// The order is the later of the two rows' times: a group message moves the group up in every
/// member's list by writing only the conversation row.
macro_rules! select_records {
    ($rest:literal) => {
        concat!(
            "SELECT c.conv_key, c.last_seq, u.read_seq, c.counted_total - u.read_counted, ",
            "max(c.updated_at_ms, u.updated_at_ms) AS updated, u.read_counted, u.pinned, u.custom_data, u.marks, ",
            message_columns!(),
            " FROM user_conversations u JOIN conversations c ON c.app = u.app AND c.conv_key = u.conv_key",
            " LEFT JOIN messages m ON m.app = c.app AND m.conv_key = c.conv_key AND m.seq = c.last_visible_seq",
            " WHERE u.app = ?1 AND u.user = ?2 ",
            $rest
        )
    };
}

const LIST: &str = select_records!("ORDER BY u.pinned DESC, updated DESC, c.conv_key LIMIT ?3");
const GET: &str = select_records!("AND u.conv_key = ?3");
const READ_MARK: &str = "SELECT u.read_seq, c.last_seq FROM user_conversations u \
     JOIN conversations c ON c.app = u.app AND c.conv_key = u.conv_key \
     WHERE u.app = ?1 AND u.user = ?2 AND u.conv_key = ?3";
const COUNTED_AT: &str = "SELECT counted_index FROM messages WHERE app = ?1 AND conv_key = ?2 AND seq <= ?3 \
     ORDER BY seq DESC LIMIT 1";
const TOTAL_UNREAD: &str = "SELECT coalesce(sum(c.counted_total - u.read_counted), 0) FROM user_conversations u \
     JOIN conversations c ON c.app = u.app AND c.conv_key = u.conv_key WHERE u.app = ?1 AND u.user = ?2";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("list", LIST),
    ("get", GET),
    ("read mark", READ_MARK),
    ("counted at", COUNTED_AT),
    ("total unread", TOTAL_UNREAD),
];

/// The user's conversations, most recently updated first.
pub(crate) fn list(
    connection: &Connection,
    app: AppId,
    user: &str,
    limit: u32,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let mut statement = connection.prepare_cached(LIST).map_err(backend)?;
    let rows = statement.query_map(params![app, user, limit], record_from_row).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// One conversation of the user, `None` without a user row.
pub(crate) fn get(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
) -> Result<Option<ConversationRecord>, StoreError> {
    connection
        .prepare_cached(GET)
        .and_then(|mut statement| {
            statement.query_row(params![app, user, conversation.as_str()], record_from_row).optional()
        })
        .map_err(backend)
}

/// Moves the read mark forward (clamped to the newest message); runs on the writer.
pub(crate) fn mark_read(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    up_to: Option<u64>,
) -> Result<ReadMarked, StoreError> {
    let key = conversation.as_str();
    let marks = connection
        .prepare_cached(READ_MARK)
        .and_then(|mut statement| {
            statement
                .query_row(params![app, user, key], |row| Ok((row.get::<_, u64>(0)?, row.get::<_, u64>(1)?)))
                .optional()
        })
        .map_err(backend)?;
    let Some((read_seq, last_seq)) = marks else {
        return Err(StoreError::NotFound(format!("conversation {key:?} of {user}")));
    };
    let target = up_to.map_or(last_seq, |up_to| up_to.min(last_seq));
    let moved = target > read_seq;
    if moved {
        let read_counted: u64 = connection
            .prepare_cached(COUNTED_AT)
            .and_then(|mut statement| statement.query_row(params![app, key, target], |row| row.get(0)).optional())
            .map_err(backend)?
            .unwrap_or(0);
        connection
            .prepare_cached(
                "UPDATE user_conversations SET read_seq = ?4, read_counted = ?5 \
                 WHERE app = ?1 AND user = ?2 AND conv_key = ?3",
            )
            .and_then(|mut statement| statement.execute(params![app, user, key, target, read_counted]))
            .map_err(backend)?;
    }
    let record = get(connection, app, user, conversation)?
        .ok_or_else(|| StoreError::Backend(format!("conversation {key:?} of {user} vanished while marking it read")))?;
    let change = if moved {
        let read = ChangeRecord::ConversationRead {
            conversation: key.to_owned(),
            read_seq: record.read_seq,
            unread_count: record.unread_count,
            read_counted: record.read_counted,
        };
        Some(changes::append(connection, app, user, &read)?)
    } else {
        None
    };
    Ok(ReadMarked { conversation: record, change })
}

/// Pins or unpins the user's conversation, appending a `ConversationPinned` change when that
/// changed it; runs on the writer.
pub(crate) fn set_pinned(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    pinned: bool,
) -> Result<ConversationChanged, StoreError> {
    let change = ChangeRecord::ConversationPinned { conversation: conversation.as_str().to_owned(), pinned };
    let sql =
        "UPDATE user_conversations SET pinned = ?4 WHERE app = ?1 AND user = ?2 AND conv_key = ?3 AND pinned <> ?4";
    set_attribute(connection, app, user, conversation, sql, rusqlite::types::Value::from(pinned), |_| change)
}

/// Sets the user's custom data of the conversation, appending a `ConversationCustomData` change
/// when that changed it; runs on the writer.
pub(crate) fn set_custom_data(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    custom_data: &str,
) -> Result<ConversationChanged, StoreError> {
    let change = ChangeRecord::ConversationCustomData {
        conversation: conversation.as_str().to_owned(),
        custom_data: custom_data.to_owned(),
    };
    let sql = "UPDATE user_conversations SET custom_data = ?4 \
         WHERE app = ?1 AND user = ?2 AND conv_key = ?3 AND custom_data <> ?4";
    set_attribute(
        connection,
        app,
        user,
        conversation,
        sql,
        rusqlite::types::Value::from(custom_data.to_owned()),
        |_| change,
    )
}

/// Sets or clears one mark bit of the user's conversation, appending a `ConversationMarked` change
/// with all its marks when that changed them; runs on the writer.
pub(crate) fn set_mark(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    mark: u64,
    enable: bool,
) -> Result<ConversationChanged, StoreError> {
    let sql = if enable {
        "UPDATE user_conversations SET marks = marks | ?4 \
         WHERE app = ?1 AND user = ?2 AND conv_key = ?3 AND marks & ?4 = 0"
    } else {
        "UPDATE user_conversations SET marks = marks & ~?4 \
         WHERE app = ?1 AND user = ?2 AND conv_key = ?3 AND marks & ?4 <> 0"
    };
    // The bits are stored as a signed integer: the cast keeps every bit.
    let value = rusqlite::types::Value::from(mark as i64);
    set_attribute(connection, app, user, conversation, sql, value, |record| ChangeRecord::ConversationMarked {
        conversation: conversation.as_str().to_owned(),
        marks: record.marks,
    })
}

/// Runs an attribute's `UPDATE` (parameters: app, user, conversation key, value; it changes no row
/// when the value is already set) and, when it changed the row, appends the change `change` makes
/// of the row as it is after the write.
fn set_attribute(
    connection: &Connection,
    app: AppId,
    user: &str,
    conversation: &ConversationKey,
    sql: &str,
    value: rusqlite::types::Value,
    change: impl FnOnce(&ConversationRecord) -> ChangeRecord,
) -> Result<ConversationChanged, StoreError> {
    let key = conversation.as_str();
    let changed = connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params![app, user, key, value]))
        .map_err(backend)?;
    let record = get(connection, app, user, conversation)?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {key:?} of {user}")))?;
    let change = if changed > 0 { Some(changes::append(connection, app, user, &change(&record))?) } else { None };
    Ok(ConversationChanged { conversation: record, change })
}

/// The sum of the user's unread counts.
pub(crate) fn total_unread(connection: &Connection, app: AppId, user: &str) -> Result<u64, StoreError> {
    connection
        .prepare_cached(TOTAL_UNREAD)
        .and_then(|mut statement| statement.query_row(params![app, user], |row| row.get(0)))
        .map_err(backend)
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationRecord> {
    // Column 9 onwards is the last visible message, all NULL when there is none.
    let last_message = match row.get::<_, Option<u64>>(9)? {
        Some(_) => Some(message_from_row(row, 9)?),
        None => None,
    };
    Ok(ConversationRecord {
        conversation: ConversationKey::from_stored(row.get(0)?),
        last_seq: row.get(1)?,
        read_seq: row.get(2)?,
        unread_count: row.get(3)?,
        updated_at_ms: row.get(4)?,
        read_counted: row.get(5)?,
        pinned: row.get(6)?,
        custom_data: row.get(7)?,
        // The bits are stored as a signed integer: the cast keeps every bit.
        marks: row.get::<_, i64>(8)? as u64,
        last_message,
    })
}
