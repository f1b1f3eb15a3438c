//! Groups and memberships: creation, joining and leaving (on the writer) and lookups.
//!
//! A group's conversation row is created with the group, and every member has a user row for it
//! from the moment it joins until it leaves; a new member's read mark starts at the newest message.

use mynah_proto::objects::{GroupType, JoinOption, MemberRole};
use mynah_store::backend::{distinct_members, exceeds_cap};
use mynah_store::{
    AppId, AppendedChange, ChangeRecord, ConversationKey, GroupCreated, GroupRecord, MemberRecord, MembersAdded,
    NewGroup, NewMember, StoreError,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::changes;
use crate::rows::{backend, named};

/// The columns [`group_from_row`] reads: the group, then its newest sequence from its conversation
/// (`c`).
macro_rules! group_columns {
    () => {
        "g.app, g.group_id, g.group_type, g.name, g.owner, g.created_at_ms, g.max_member_num, g.join_option, \
         g.introduction, g.notification, g.avatar, g.member_count, c.last_seq"
    };
}

const GET: &str = concat!(
    "SELECT ",
    group_columns!(),
    " FROM chat_groups g JOIN conversations c ON c.app = g.app AND c.conv_key = g.conv_key \
     WHERE g.app = ?1 AND g.group_id = ?2"
);
const GROUPS_OF_USER: &str = concat!(
    "SELECT ",
    group_columns!(),
    ", gm.user, gm.role, gm.joined_at_ms, gm.mute_until_ms, gm.name_card FROM group_members gm \
     JOIN chat_groups g ON g.app = gm.app AND g.group_id = gm.group_id \
     JOIN conversations c ON c.app = g.app AND c.conv_key = g.conv_key \
     WHERE gm.app = ?1 AND gm.user = ?2 ORDER BY gm.group_id"
);
const GET_MEMBER: &str = "SELECT user, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = ?1 AND group_id = ?2 AND user = ?3";
const MEMBER_IDS: &str = "SELECT user FROM group_members WHERE app = ?1 AND group_id = ?2 ORDER BY user";
const NEWEST: &str = "SELECT last_seq, counted_total FROM conversations WHERE app = ?1 AND conv_key = ?2";
const GROUP_IDS_OF_USER: &str = "SELECT group_id FROM group_members WHERE app = ?1 AND user = ?2 ORDER BY group_id";

/// The lookups above, for the query plan test.
#[cfg(test)]
pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("get group", GET),
    ("groups of user", GROUPS_OF_USER),
    ("group ids of user", GROUP_IDS_OF_USER),
    ("get member", GET_MEMBER),
    ("member ids", MEMBER_IDS),
    ("newest of group", NEWEST),
];

/// Creates a group, its conversation and its initial members; runs on the writer.
pub(crate) fn create(
    connection: &Connection,
    group: &NewGroup,
    members: &[NewMember],
) -> Result<GroupCreated, StoreError> {
    let app = group.app;
    if get(connection, app, &group.group_id)?.is_some() {
        return Err(StoreError::AlreadyExists(format!("group {}", group.group_id)));
    }
    let members = distinct_members(members);
    if exceeds_cap(group.max_member_num, 0, members.len()) {
        return Err(StoreError::GroupFull);
    }
    let key = ConversationKey::group(&group.group_id);
    connection
        .prepare_cached(
            "INSERT INTO chat_groups (app, group_id, conv_key, group_type, name, owner, created_at_ms, max_member_num, \
             join_option, introduction, notification, avatar, member_count) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                app,
                group.group_id,
                key.as_str(),
                group.group_type.as_str(),
                group.name,
                group.owner,
                group.created_at_ms,
                group.max_member_num,
                group.join_option.as_str(),
                group.introduction,
                group.notification,
                group.avatar,
                members.len(),
            ])
        })
        .map_err(backend)?;
    connection
        .prepare_cached(
            "INSERT INTO conversations (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms) \
             VALUES (?1, ?2, 0, 0, 0, ?3)",
        )
        .and_then(|mut statement| statement.execute(params![app, key.as_str(), group.created_at_ms]))
        .map_err(backend)?;
    let mut changes = Vec::with_capacity(members.len());
    for member in &members {
        changes.push(join(connection, app, &group.group_id, &key, member, (0, 0))?);
    }
    let group = get(connection, app, &group.group_id)?
        .ok_or_else(|| StoreError::Backend(format!("group {} vanished while being created", group.group_id)))?;
    Ok(GroupCreated { group, changes })
}

/// Adds members that are not in yet, all or none; runs on the writer.
pub(crate) fn add_members(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    members: &[NewMember],
) -> Result<MembersAdded, StoreError> {
    let Some(mut group) = get(connection, app, group_id)? else {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    };
    let mut already_members = Vec::new();
    let mut joining = Vec::new();
    for member in distinct_members(members) {
        if get_member(connection, app, group_id, &member.user)?.is_some() {
            already_members.push(member.user.clone());
        } else {
            joining.push(member);
        }
    }
    if exceeds_cap(group.max_member_num, group.member_count, joining.len()) {
        return Err(StoreError::GroupFull);
    }
    let key = ConversationKey::group(group_id);
    let newest = connection
        .prepare_cached(NEWEST)
        .and_then(|mut statement| statement.query_row(params![app, key.as_str()], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(backend)?;
    let mut changes = Vec::with_capacity(joining.len());
    for member in &joining {
        changes.push(join(connection, app, group_id, &key, member, newest)?);
    }
    let added = u32::try_from(joining.len()).map_err(|_| StoreError::GroupFull)?;
    set_member_count(connection, app, group_id, group.member_count + added)?;
    group.member_count += added;
    Ok(MembersAdded { group, changes, already_members })
}

/// Removes a membership and its conversation row; runs on the writer.
pub(crate) fn remove_member(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
) -> Result<Option<AppendedChange>, StoreError> {
    let removed = connection
        .prepare_cached("DELETE FROM group_members WHERE app = ?1 AND group_id = ?2 AND user = ?3")
        .and_then(|mut statement| statement.execute(params![app, group_id, user]))
        .map_err(backend)?;
    if removed == 0 {
        return Ok(None);
    }
    let key = ConversationKey::group(group_id);
    connection
        .prepare_cached("DELETE FROM user_conversations WHERE app = ?1 AND user = ?2 AND conv_key = ?3")
        .and_then(|mut statement| statement.execute(params![app, user, key.as_str()]))
        .map_err(backend)?;
    connection
        .prepare_cached(
            "UPDATE chat_groups SET member_count = member_count - 1, \
             owner = CASE WHEN owner = ?3 THEN '' ELSE owner END WHERE app = ?1 AND group_id = ?2",
        )
        .and_then(|mut statement| statement.execute(params![app, group_id, user]))
        .map_err(backend)?;
    let left = ChangeRecord::GroupLeft { group_id: group_id.to_owned() };
    changes::append(connection, app, user, &left).map(Some)
}

pub(crate) fn get(connection: &Connection, app: AppId, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
    connection
        .prepare_cached(GET)
        .and_then(|mut statement| statement.query_row(params![app, group_id], group_from_row).optional())
        .map_err(backend)
}

pub(crate) fn get_member(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
) -> Result<Option<MemberRecord>, StoreError> {
    connection
        .prepare_cached(GET_MEMBER)
        .and_then(|mut statement| {
            statement.query_row(params![app, group_id, user], |row| member_from_row(row, 0)).optional()
        })
        .map_err(backend)
}

pub(crate) fn member_ids(connection: &Connection, app: AppId, group_id: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare_cached(MEMBER_IDS).map_err(backend)?;
    let rows = statement.query_map(params![app, group_id], |row| row.get(0)).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

pub(crate) fn group_ids_of_user(connection: &Connection, app: AppId, user: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare_cached(GROUP_IDS_OF_USER).map_err(backend)?;
    let rows = statement.query_map(params![app, user], |row| row.get(0)).map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

pub(crate) fn groups_of_user(
    connection: &Connection,
    app: AppId,
    user: &str,
) -> Result<Vec<(GroupRecord, MemberRecord)>, StoreError> {
    let mut statement = connection.prepare_cached(GROUPS_OF_USER).map_err(backend)?;
    let rows = statement
        .query_map(params![app, user], |row| Ok((group_from_row(row)?, member_from_row(row, 13)?)))
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

/// Inserts one membership with its user row (read mark at `newest`: last sequence and counted
/// total) and its `GroupJoined` change.
fn join(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    key: &ConversationKey,
    member: &NewMember,
    newest: (u64, u64),
) -> Result<AppendedChange, StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO group_members (app, group_id, user, role, joined_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut statement| {
            statement.execute(params![app, group_id, member.user, member.role.as_str(), member.joined_at_ms])
        })
        .map_err(backend)?;
    connection
        .prepare_cached(
            "INSERT INTO user_conversations (app, user, conv_key, read_seq, read_counted, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app, user, conv_key) DO UPDATE SET \
             read_seq = excluded.read_seq, read_counted = excluded.read_counted, updated_at_ms = excluded.updated_at_ms",
        )
        .and_then(|mut statement| {
            statement.execute(params![app, member.user, key.as_str(), newest.0, newest.1, member.joined_at_ms])
        })
        .map_err(backend)?;
    let joined = ChangeRecord::GroupJoined { group_id: group_id.to_owned() };
    changes::append(connection, app, &member.user, &joined)
}

fn set_member_count(connection: &Connection, app: AppId, group_id: &str, count: u32) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE chat_groups SET member_count = ?3 WHERE app = ?1 AND group_id = ?2")
        .and_then(|mut statement| statement.execute(params![app, group_id, count]))
        .map_err(backend)?;
    Ok(())
}

fn group_from_row(row: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        app: row.get(0)?,
        group_id: row.get(1)?,
        group_type: named(row, 2, GroupType::parse)?,
        name: row.get(3)?,
        owner: row.get(4)?,
        created_at_ms: row.get(5)?,
        max_member_num: row.get(6)?,
        join_option: named(row, 7, JoinOption::parse)?,
        introduction: row.get(8)?,
        notification: row.get(9)?,
        avatar: row.get(10)?,
        member_count: row.get(11)?,
        last_seq: row.get(12)?,
    })
}

fn member_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        user: row.get(first)?,
        role: named(row, first + 1, MemberRole::parse)?,
        joined_at_ms: row.get(first + 2)?,
        mute_until_ms: row.get(first + 3)?,
        name_card: row.get(first + 4)?,
    })
}
