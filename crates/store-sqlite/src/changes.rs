//! The per-user change stream: appended by writes in their own transaction, read by position.
//!
//! The next position is the user's highest plus one, computed on the single writer inside the
//! transaction of the write that causes the change, so there is no counter that could drift.

use mynah_store::backend::UnknownKinds;
use mynah_store::{AppId, AppendedChange, ChangeRecord, StoreError};
use rusqlite::{Connection, params};

use crate::rows::{backend, json, stored_int, to_json};

const SINCE: &str = "SELECT position, payload FROM changes WHERE app = ?1 AND user = ?2 AND position > ?3 \
     ORDER BY position LIMIT ?4";
const HEAD: &str = "SELECT coalesce(max(position), 0) FROM changes WHERE app = ?1 AND user = ?2";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[("changes since", SINCE), ("head position", HEAD)];

/// Appends a change for `user` at the next position; runs on the writer.
pub(crate) fn append(
    connection: &Connection,
    app: AppId,
    user: &str,
    change: &ChangeRecord,
) -> Result<AppendedChange, StoreError> {
    let position = head(connection, app, user)? + 1;
    let payload = to_json(change)?;
    connection
        .prepare_cached("INSERT INTO changes (app, user, position, payload) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut statement| statement.execute(params![app, user, position, payload]))
        .map_err(backend)?;
    Ok(AppendedChange { user: user.to_owned(), position, change: change.clone() })
}

/// Changes above `after`, oldest first. An entry of a kind this version does not know comes back
/// as `ChangeRecord::Unknown` (logged once per kind), so its position still counts.
pub(crate) fn since(
    connection: &Connection,
    app: AppId,
    user: &str,
    after: u64,
    limit: u32,
    unknown: &UnknownKinds,
) -> Result<Vec<AppendedChange>, StoreError> {
    // Positions count up from 1 as SQLite integers: nothing is stored above i64::MAX.
    let Some(after) = stored_int(after) else {
        return Ok(Vec::new());
    };
    let mut statement = connection.prepare_cached(SINCE).map_err(backend)?;
    let rows = statement
        .query_map(params![app, user, after, limit], |row| {
            let change = json(row, 1)?;
            if change == ChangeRecord::Unknown {
                unknown.met(row.get_ref(1)?.as_str()?);
            }
            Ok(AppendedChange { user: user.to_owned(), position: row.get(0)?, change })
        })
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// The user's highest position, 0 when the stream is empty.
pub(crate) fn head(connection: &Connection, app: AppId, user: &str) -> Result<u64, StoreError> {
    connection
        .prepare_cached(HEAD)
        .and_then(|mut statement| statement.query_row(params![app, user], |row| row.get(0)))
        .map_err(backend)
}
