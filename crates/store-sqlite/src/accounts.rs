//! Accounts and profiles: who exists in an app, and each account's profile (a tag → value map
//! stored as one JSON object per account).

use std::collections::{BTreeMap, HashSet};

use mynah_proto::profiles::{ProfileValue, TAG_IMAGE, TAG_NICK};
use mynah_store::{AppId, ChangeRecord, ProfileRecord, ProfileSet, SenderProfile, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::changes;
use crate::rows::{backend, to_json};

const EXISTS: &str = "SELECT 1 FROM accounts WHERE app = ?1 AND user = ?2";
const PROFILE: &str = "SELECT fields_json, updated_at_ms FROM profiles WHERE app = ?1 AND user = ?2";
/// The two fields a message is stamped with, kept in their own columns so the send path neither
/// copies nor parses the rest of the profile (custom fields of up to 500 bytes each).
const SENDER_PROFILE: &str = "SELECT nick, avatar FROM profiles WHERE app = ?1 AND user = ?2";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] =
    &[("account exists", EXISTS), ("profile", PROFILE), ("sender profile", SENDER_PROFILE)];

/// Records the accounts that are new; runs on the writer. Returns the new users.
pub(crate) fn import(
    connection: &Connection,
    app: AppId,
    users: &[String],
    at_ms: u64,
) -> Result<Vec<String>, StoreError> {
    let mut seen = HashSet::new();
    let mut created = Vec::new();
    for user in users.iter().filter(|user| seen.insert(user.as_str())) {
        let inserted = connection
            .prepare_cached(
                "INSERT INTO accounts (app, user, created_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (app, user) DO NOTHING",
            )
            .and_then(|mut statement| statement.execute(params![app, user, at_ms]))
            .map_err(backend)?;
        if inserted == 1 {
            created.push(user.clone());
        }
    }
    Ok(created)
}

/// Deletes accounts and their profiles; runs on the writer. Returns the users that existed.
pub(crate) fn delete(connection: &Connection, app: AppId, users: &[String]) -> Result<Vec<String>, StoreError> {
    let mut deleted = Vec::new();
    for user in users {
        let removed = connection
            .prepare_cached("DELETE FROM accounts WHERE app = ?1 AND user = ?2")
            .and_then(|mut statement| statement.execute(params![app, user]))
            .map_err(backend)?;
        if removed == 0 {
            continue;
        }
        connection
            .prepare_cached("DELETE FROM profiles WHERE app = ?1 AND user = ?2")
            .and_then(|mut statement| statement.execute(params![app, user]))
            .map_err(backend)?;
        deleted.push(user.clone());
    }
    Ok(deleted)
}

/// Whether the user has an account.
pub(crate) fn exists(connection: &Connection, app: AppId, user: &str) -> Result<bool, StoreError> {
    connection
        .prepare_cached(EXISTS)
        .and_then(|mut statement| statement.query_row(params![app, user], |_| Ok(())).optional())
        .map(|found| found.is_some())
        .map_err(backend)
}

/// The users among `users` that have an account, in the order given.
pub(crate) fn existing(connection: &Connection, app: AppId, users: &[String]) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    for user in users {
        if exists(connection, app, user)? {
            found.push(user.clone());
        }
    }
    Ok(found)
}

/// The profile of a user with an account (empty when never set); `None` without an account.
pub(crate) fn profile(connection: &Connection, app: AppId, user: &str) -> Result<Option<ProfileRecord>, StoreError> {
    if !exists(connection, app, user)? {
        return Ok(None);
    }
    let stored: Option<(String, u64)> = connection
        .prepare_cached(PROFILE)
        .and_then(|mut statement| {
            statement.query_row(params![app, user], |row| Ok((row.get(0)?, row.get(1)?))).optional()
        })
        .map_err(backend)?;
    let Some((fields_json, updated_at_ms)) = stored else {
        return Ok(Some(ProfileRecord { user: user.to_owned(), ..ProfileRecord::default() }));
    };
    let fields: BTreeMap<String, ProfileValue> = serde_json::from_str(&fields_json)
        .map_err(|error| StoreError::Backend(format!("profile of {user} is not valid JSON: {error}")))?;
    Ok(Some(ProfileRecord { user: user.to_owned(), fields, updated_at_ms }))
}

/// The profiles of the users that have an account, in the order given.
pub(crate) fn profiles(
    connection: &Connection,
    app: AppId,
    users: &[String],
) -> Result<Vec<ProfileRecord>, StoreError> {
    let mut found = Vec::new();
    for user in users {
        if let Some(record) = profile(connection, app, user)? {
            found.push(record);
        }
    }
    Ok(found)
}

/// The nick and avatar of a user's profile, empty when unset; one lookup by primary key. A user
/// without a profile row (never set, or no account) has neither.
pub(crate) fn sender_profile(connection: &Connection, app: AppId, user: &str) -> Result<SenderProfile, StoreError> {
    connection
        .prepare_cached(SENDER_PROFILE)
        .and_then(|mut statement| {
            statement
                .query_row(params![app, user], |row| Ok(SenderProfile { nick: row.get(0)?, avatar: row.get(1)? }))
                .optional()
        })
        .map(Option::unwrap_or_default)
        .map_err(backend)
}

/// Merges fields into a profile and appends the user's `ProfileUpdated` change; runs on the writer.
pub(crate) fn set_profile(
    connection: &Connection,
    app: AppId,
    user: &str,
    fields: &[(String, ProfileValue)],
    at_ms: u64,
) -> Result<ProfileSet, StoreError> {
    let Some(mut record) = profile(connection, app, user)? else {
        return Err(StoreError::NotFound(format!("account {user}")));
    };
    record.fields.extend(fields.iter().cloned());
    record.updated_at_ms = at_ms;
    let fields_json = to_json(&record.fields)?;
    // The tags a message is stamped with get their own columns (see `SENDER_PROFILE`). Both only
    // ever hold text (the service checks every write); anything else stamps as empty.
    let text_of = |tag: &str| record.fields.get(tag).and_then(ProfileValue::as_text).unwrap_or_default();
    connection
        .prepare_cached(
            "INSERT INTO profiles (app, user, fields_json, updated_at_ms, nick, avatar) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (app, user) DO UPDATE SET fields_json = excluded.fields_json, \
             updated_at_ms = excluded.updated_at_ms, nick = excluded.nick, avatar = excluded.avatar",
        )
        .and_then(|mut statement| {
            statement.execute(params![app, user, fields_json, at_ms, text_of(TAG_NICK), text_of(TAG_IMAGE)])
        })
        .map_err(backend)?;
    let change = changes::append(connection, app, user, &ChangeRecord::ProfileUpdated { user: user.to_owned() })?;
    Ok(ProfileSet { profile: record, change })
}
