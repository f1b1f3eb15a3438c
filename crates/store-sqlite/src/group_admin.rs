//! Group administration: the member list with roles (whole or a page), removing members with a notice, dismissing a
//! group, and custom system notices. Each write appends the affected users' change-stream entries
//! in its own transaction.

use std::collections::HashSet;

use mynah_proto::objects::MemberRole;
use mynah_store::{AppId, AppendedChange, ChangeRecord, ConversationKey, GroupNoticeRecord, MemberRecord, StoreError};
use rusqlite::{Connection, params};

use crate::rows::{backend, named};
use crate::{changes, groups};

const MEMBERS: &str = "SELECT user, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = ?1 AND group_id = ?2 ORDER BY user";

const MEMBER_PAGE: &str = "SELECT user, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = ?1 AND group_id = ?2 AND (?3 IS NULL OR role = ?3) ORDER BY user LIMIT ?4 OFFSET ?5";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[("members with roles", MEMBERS), ("a page of members", MEMBER_PAGE)];

/// Every member with its role.
pub(crate) fn members(connection: &Connection, app: AppId, group_id: &str) -> Result<Vec<MemberRecord>, StoreError> {
    let mut statement = connection.prepare_cached(MEMBERS).map_err(backend)?;
    let rows = statement.query_map(params![app, group_id], member_from_row).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// A page of the members, of one role when given.
pub(crate) fn member_page(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    role: Option<MemberRole>,
    offset: u32,
    limit: u32,
) -> Result<Vec<MemberRecord>, StoreError> {
    let mut statement = connection.prepare_cached(MEMBER_PAGE).map_err(backend)?;
    let role = role.map(MemberRole::as_str);
    let rows = statement.query_map(params![app, group_id, role, limit, offset], member_from_row).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

fn member_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        user: row.get(0)?,
        role: named(row, 1, MemberRole::parse)?,
        joined_at_ms: row.get(2)?,
        mute_until_ms: row.get(3)?,
        name_card: row.get(4)?,
    })
}

/// Removes members other than the owner, each with a `GroupLeft` and a notice; runs on the writer.
pub(crate) fn remove_members(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    users: &[String],
    notice: &GroupNoticeRecord,
) -> Result<Vec<AppendedChange>, StoreError> {
    let Some(group) = groups::get(connection, app, group_id)? else {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    };
    let mut seen = HashSet::new();
    let mut appended = Vec::new();
    for user in users.iter().filter(|user| seen.insert(user.as_str()) && **user != group.owner) {
        let Some(left) = groups::remove_member(connection, app, group_id, user)? else { continue };
        appended.push(left);
        let kicked = ChangeRecord::GroupNotice {
            group_id: group_id.to_owned(),
            group_name: group.name.clone(),
            notice: notice.clone(),
        };
        appended.push(changes::append(connection, app, user, &kicked)?);
    }
    Ok(appended)
}

/// Deletes a group with everything in it and tells every member; runs on the writer.
pub(crate) fn dismiss(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    operator: &str,
    at_ms: u64,
) -> Result<Vec<AppendedChange>, StoreError> {
    let Some(group) = groups::get(connection, app, group_id)? else {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    };
    let members = groups::member_ids(connection, app, group_id)?;
    let key = ConversationKey::group(group_id);
    for member in &members {
        connection
            .prepare_cached("DELETE FROM user_conversations WHERE app = ?1 AND user = ?2 AND conv_key = ?3")
            .and_then(|mut statement| statement.execute(params![app, member, key.as_str()]))
            .map_err(backend)?;
    }
    for sql in [
        "DELETE FROM group_members WHERE app = ?1 AND group_id = ?2",
        "DELETE FROM chat_groups WHERE app = ?1 AND group_id = ?2",
    ] {
        connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params![app, group_id]))
            .map_err(backend)?;
    }
    // The messages go with the group, so a new group may take its ID and start again at sequence 1.
    for sql in [
        "DELETE FROM messages WHERE app = ?1 AND conv_key = ?2",
        "DELETE FROM conversations WHERE app = ?1 AND conv_key = ?2",
    ] {
        connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params![app, key.as_str()]))
            .map_err(backend)?;
    }
    let dismissed = ChangeRecord::GroupDismissed {
        group_id: group_id.to_owned(),
        group_name: group.name,
        operator: operator.to_owned(),
        at_ms,
    };
    members.iter().map(|member| changes::append(connection, app, member, &dismissed)).collect()
}

/// Appends a notice for the listed members (every member when none is listed); runs on the writer.
pub(crate) fn notify(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    users: &[String],
    notice: &GroupNoticeRecord,
) -> Result<Vec<AppendedChange>, StoreError> {
    let Some(group) = groups::get(connection, app, group_id)? else {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    };
    let members = groups::member_ids(connection, app, group_id)?;
    let listed: HashSet<&str> = users.iter().map(String::as_str).collect();
    let change =
        ChangeRecord::GroupNotice { group_id: group_id.to_owned(), group_name: group.name, notice: notice.clone() };
    members
        .iter()
        .filter(|member| listed.is_empty() || listed.contains(member.as_str()))
        .map(|member| changes::append(connection, app, member, &change))
        .collect()
}
