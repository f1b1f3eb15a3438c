//! Conversions between PostgreSQL values and store records, and the error mapping.

use mynah_proto::objects::MessagePriority;
use mynah_store::{ConversationKey, StoreError, StoredMessage};
use sqlx::Row;
use sqlx::postgres::PgRow;

/// Maps an sqlx error onto the store's error; the detail is for logs only.
///
/// - A lock or serialization clash (`40001` serialization failure, `40P01` deadlock detected,
///   `55P03` lock not available) and an exhausted pool are `Busy`: the same write may succeed
///   when retried. The lock order in the crate docs keeps deadlocks out; this is the safety net.
/// - An unexpected unique-key clash (`23505`) is a `Conflict`.
/// - Everything else (connection lost, I/O, a bad row) is a `Backend` failure.
pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::PoolTimedOut => StoreError::Busy(format!("postgres: {error}")),
        sqlx::Error::Database(database) => match database.code().as_deref() {
            Some("40001" | "40P01" | "55P03") => StoreError::Busy(format!("postgres: {error}")),
            Some("23505") => StoreError::Conflict(format!("postgres: {error}")),
            _ => StoreError::Backend(format!("postgres: {error}")),
        },
        _ => StoreError::Backend(format!("postgres: {error}")),
    }
}

pub(crate) use mynah_store::backend::now_ms;

/// A sequence, position, time or count as PostgreSQL stores it (`BIGINT`). `None` above
/// `i64::MAX`: such a sequence or position is beyond anything stored (they count up from 1), so
/// callers answer "nothing there" instead of failing to bind it.
pub(crate) fn stored_int(value: u64) -> Option<i64> {
    i64::try_from(value).ok()
}

/// Binds a value that is always far below `i64::MAX` (a time, an app, a count); saturates.
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Reads a `BIGINT` column that is never negative.
pub(crate) fn unsigned(row: &PgRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column).map_err(backend)?;
    u64::try_from(value).map_err(|_| corrupt(column, format!("negative value {value}")))
}

/// Reads a `BIGINT` column holding a `u32` (a count, a cap, a `random`).
pub(crate) fn unsigned32(row: &PgRow, column: &str) -> Result<u32, StoreError> {
    u32::try_from(unsigned(row, column)?).map_err(|_| corrupt(column, "above u32".to_owned()))
}

/// Reads a `TEXT` column.
pub(crate) fn text(row: &PgRow, column: &str) -> Result<String, StoreError> {
    row.try_get(column).map_err(backend)
}

/// Reads a `BOOLEAN` column.
pub(crate) fn flag(row: &PgRow, column: &str) -> Result<bool, StoreError> {
    row.try_get(column).map_err(backend)
}

/// Reads a text column holding one of an enum's names, e.g. a `MemberRole` or a `MessagePriority`.
pub(crate) fn named<T>(row: &PgRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let value: &str = row.try_get(column).map_err(backend)?;
    parse(value).ok_or_else(|| corrupt(column, format!("unknown value {value:?}")))
}

/// Reads a text column holding JSON.
pub(crate) fn json<T: for<'de> serde::Deserialize<'de>>(row: &PgRow, column: &str) -> Result<T, StoreError> {
    let value: &str = row.try_get(column).map_err(backend)?;
    serde_json::from_str(value).map_err(|error| corrupt(column, error.to_string()))
}

/// Encodes a value as JSON for a text column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Backend(format!("encoding a row as JSON: {error}")))
}

fn corrupt(column: &str, reason: String) -> StoreError {
    StoreError::Backend(format!("postgres: column {column}: {reason}"))
}

/// The columns [`message_from_row`] reads, from the `messages` table aliased `m`.
macro_rules! message_columns {
    () => {
        "m.app, m.conv_key, m.seq, m.sender, m.receiver, m.client_msg_id, m.random, m.time_ms, m.body_json, \
         m.cloud_custom_data, m.priority, m.need_read_receipt, m.excluded_from_unread_count, \
         m.excluded_from_last_message, m.revoked, m.nick, m.avatar, m.counted_index, m.name_card"
    };
}
pub(crate) use message_columns;

/// Reads a message selected with [`message_columns`].
pub(crate) fn message_from_row(row: &PgRow) -> Result<StoredMessage, StoreError> {
    Ok(StoredMessage {
        app: unsigned(row, "app")?,
        conversation: ConversationKey::from_stored(text(row, "conv_key")?),
        seq: unsigned(row, "seq")?,
        sender: text(row, "sender")?,
        receiver: text(row, "receiver")?,
        client_msg_id: text(row, "client_msg_id")?,
        random: unsigned32(row, "random")?,
        time_ms: unsigned(row, "time_ms")?,
        body: json(row, "body_json")?,
        cloud_custom_data: text(row, "cloud_custom_data")?,
        priority: named(row, "priority", MessagePriority::parse)?,
        need_read_receipt: flag(row, "need_read_receipt")?,
        excluded_from_unread_count: flag(row, "excluded_from_unread_count")?,
        excluded_from_last_message: flag(row, "excluded_from_last_message")?,
        revoked: flag(row, "revoked")?,
        nick: text(row, "nick")?,
        avatar: text(row, "avatar")?,
        name_card: text(row, "name_card")?,
        counted_index: unsigned(row, "counted_index")?,
    })
}
