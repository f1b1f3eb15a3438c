//! Message revisions: a recall marks the row revoked, an edit rewrites its body; both append a
//! change-stream entry for every participant in the same transaction, so users who are offline
//! learn of it at their next sync.

use mynah_store::{AppId, AppendedChange, ChangeRecord, ConversationKey, Revision, StoreError, StoredMessage};
use rusqlite::{Connection, OptionalExtension, params};

use crate::messages::{message_columns, message_from_row};
use crate::rows::{backend, stored_int};
use crate::{changes, groups};

const MESSAGE_AT: &str =
    concat!("SELECT ", message_columns!(), " FROM messages m WHERE m.app = ?1 AND m.conv_key = ?2 AND m.seq = ?3");

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[("message at sequence", MESSAGE_AT)];

/// An edit with its body encoded beforehand, off the writer thread.
pub(crate) struct PreparedEdit {
    pub(crate) body: Option<(Vec<mynah_proto::elements::MsgElement>, String)>,
    pub(crate) cloud_custom_data: Option<String>,
}

/// Marks a message recalled; runs on the writer.
pub(crate) fn revoke(
    connection: &Connection,
    app: AppId,
    key: &ConversationKey,
    seq: u64,
) -> Result<Revision, StoreError> {
    let Some(mut message) = message_at(connection, app, key, seq)? else { return Ok(Revision::NotFound) };
    if message.revoked {
        return Ok(Revision::AlreadyRevoked);
    }
    let participants = participants(connection, app, key)?;
    connection
        .prepare_cached("UPDATE messages SET revoked = 1 WHERE app = ?1 AND conv_key = ?2 AND seq = ?3")
        .and_then(|mut statement| statement.execute(params![app, key.as_str(), seq]))
        .map_err(backend)?;
    message.revoked = true;
    let change =
        ChangeRecord::MessageRevoked { conversation: key.as_str().to_owned(), seq, message_id: message.message_id() };
    let changes = tell(connection, app, &participants, &change)?;
    Ok(Revision::Revised { message: Box::new(message), changes })
}

/// Replaces a message's body and/or custom data; runs on the writer.
pub(crate) fn modify(
    connection: &Connection,
    app: AppId,
    key: &ConversationKey,
    seq: u64,
    edit: &PreparedEdit,
) -> Result<Revision, StoreError> {
    let Some(mut message) = message_at(connection, app, key, seq)? else { return Ok(Revision::NotFound) };
    if message.revoked {
        return Ok(Revision::AlreadyRevoked);
    }
    let participants = participants(connection, app, key)?;
    if let Some((body, body_json)) = &edit.body {
        connection
            .prepare_cached("UPDATE messages SET body_json = ?4 WHERE app = ?1 AND conv_key = ?2 AND seq = ?3")
            .and_then(|mut statement| statement.execute(params![app, key.as_str(), seq, body_json]))
            .map_err(backend)?;
        message.body = body.clone();
    }
    if let Some(cloud_custom_data) = &edit.cloud_custom_data {
        connection
            .prepare_cached("UPDATE messages SET cloud_custom_data = ?4 WHERE app = ?1 AND conv_key = ?2 AND seq = ?3")
            .and_then(|mut statement| statement.execute(params![app, key.as_str(), seq, cloud_custom_data]))
            .map_err(backend)?;
        message.cloud_custom_data = cloud_custom_data.clone();
    }
    let change =
        ChangeRecord::MessageModified { conversation: key.as_str().to_owned(), seq, message_id: message.message_id() };
    let changes = tell(connection, app, &participants, &change)?;
    Ok(Revision::Revised { message: Box::new(message), changes })
}

fn message_at(
    connection: &Connection,
    app: AppId,
    key: &ConversationKey,
    seq: u64,
) -> Result<Option<StoredMessage>, StoreError> {
    // Sequences are SQLite integers: none is above i64::MAX.
    let Some(seq) = stored_int(seq) else {
        return Ok(None);
    };
    connection
        .prepare_cached(MESSAGE_AT)
        .and_then(|mut statement| {
            statement.query_row(params![app, key.as_str(), seq], |row| message_from_row(row, 0)).optional()
        })
        .map_err(backend)
}

/// Who sees a conversation: both users of a C2C pair (one for a conversation with oneself), every
/// current member of a group.
fn participants(connection: &Connection, app: AppId, key: &ConversationKey) -> Result<Vec<String>, StoreError> {
    match (key.c2c_users(), key.group_id()) {
        (Some((first, second)), _) if first == second => Ok(vec![first.to_owned()]),
        (Some((first, second)), _) => Ok(vec![first.to_owned(), second.to_owned()]),
        (None, Some(group_id)) => groups::member_ids(connection, app, group_id),
        (None, None) => Err(StoreError::Backend(format!("conversation key {:?} names nobody", key.as_str()))),
    }
}

fn tell(
    connection: &Connection,
    app: AppId,
    users: &[String],
    change: &ChangeRecord,
) -> Result<Vec<AppendedChange>, StoreError> {
    users.iter().map(|user| changes::append(connection, app, user, change)).collect()
}
