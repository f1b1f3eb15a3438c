//! Edits of a group that its members must learn: its profile fields, a member's role, mute or name
//! card, and its owner. Each runs on the writer and appends a `GroupUpdated` entry for everyone whose view of
//! the group changed, in the same transaction.

use mynah_proto::objects::MemberRole;
use mynah_store::backend::MemberField;
use mynah_store::{AppId, ChangeRecord, GroupEdit, GroupEdited, GroupRecord, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, params};

use crate::rows::backend;
use crate::{changes, groups};

/// Applies the edit's fields and tells every member.
pub(crate) fn edit(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    edit: &GroupEdit,
) -> Result<GroupEdited, StoreError> {
    let mut group = existing(connection, app, group_id)?;
    let GroupEdit { name, introduction, notification, avatar, join_option } = edit.clone();
    group.name = name.unwrap_or(group.name);
    group.introduction = introduction.unwrap_or(group.introduction);
    group.notification = notification.unwrap_or(group.notification);
    group.avatar = avatar.unwrap_or(group.avatar);
    group.join_option = join_option.unwrap_or(group.join_option);
    connection
        .prepare_cached(
            "UPDATE chat_groups SET name = ?3, introduction = ?4, notification = ?5, avatar = ?6, join_option = ?7 \
             WHERE app = ?1 AND group_id = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                app,
                group_id,
                group.name,
                group.introduction,
                group.notification,
                group.avatar,
                group.join_option.as_str()
            ])
        })
        .map_err(backend)?;
    let members = groups::member_ids(connection, app, group_id)?;
    tell(connection, app, group, &members)
}

/// Sets a member's role and tells that member.
pub(crate) fn set_role(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
    role: MemberRole,
) -> Result<GroupEdited, StoreError> {
    edit_member(connection, app, group_id, user, MemberField::Role(role))
}

/// Makes a member the owner (the old owner, if any, becomes an ordinary member) and tells every
/// member.
pub(crate) fn change_owner(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    new_owner: &str,
) -> Result<GroupEdited, StoreError> {
    let mut group = existing(connection, app, group_id)?;
    if !update_member(connection, app, group_id, new_owner, MemberField::Role(MemberRole::Owner))? {
        return Err(StoreError::NotMember(format!("{new_owner} in group {group_id}")));
    }
    if !group.owner.is_empty() && group.owner != new_owner {
        update_member(connection, app, group_id, &group.owner, MemberField::Role(MemberRole::Member))?;
    }
    connection
        .prepare_cached("UPDATE chat_groups SET owner = ?3 WHERE app = ?1 AND group_id = ?2")
        .and_then(|mut statement| statement.execute(params![app, group_id, new_owner]))
        .map_err(backend)?;
    group.owner = new_owner.to_owned();
    let members = groups::member_ids(connection, app, group_id)?;
    tell(connection, app, group, &members)
}

/// Sets a member's name card and tells that member.
pub(crate) fn set_name_card(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
    name_card: &str,
) -> Result<GroupEdited, StoreError> {
    edit_member(connection, app, group_id, user, MemberField::NameCard(name_card))
}

/// Sets until when a member is muted and tells that member.
pub(crate) fn mute(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
    until_ms: u64,
) -> Result<GroupEdited, StoreError> {
    edit_member(connection, app, group_id, user, MemberField::MuteUntil(until_ms))
}

/// Sets one column of a member's row and tells that member; `NotMember` when the user is not one.
fn edit_member(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
    field: MemberField<'_>,
) -> Result<GroupEdited, StoreError> {
    let group = existing(connection, app, group_id)?;
    if !update_member(connection, app, group_id, user, field)? {
        return Err(StoreError::NotMember(format!("{user} in group {group_id}")));
    }
    tell(connection, app, group, &[user.to_owned()])
}

fn existing(connection: &Connection, app: AppId, group_id: &str) -> Result<GroupRecord, StoreError> {
    groups::get(connection, app, group_id)?.ok_or_else(|| StoreError::NotFound(format!("group {group_id}")))
}

/// Sets one column of a membership; false when the user is not a member.
fn update_member(
    connection: &Connection,
    app: AppId,
    group_id: &str,
    user: &str,
    field: MemberField<'_>,
) -> Result<bool, StoreError> {
    let (sql, value) = match field {
        MemberField::Role(role) => (
            "UPDATE group_members SET role = ?4 WHERE app = ?1 AND group_id = ?2 AND user = ?3",
            Value::Text(role.as_str().to_owned()),
        ),
        MemberField::NameCard(name_card) => (
            "UPDATE group_members SET name_card = ?4 WHERE app = ?1 AND group_id = ?2 AND user = ?3",
            Value::Text(name_card.to_owned()),
        ),
        MemberField::MuteUntil(until_ms) => (
            "UPDATE group_members SET mute_until_ms = ?4 WHERE app = ?1 AND group_id = ?2 AND user = ?3",
            Value::Integer(i64::try_from(until_ms).unwrap_or(i64::MAX)),
        ),
    };
    let updated = connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params![app, group_id, user, value]))
        .map_err(backend)?;
    Ok(updated > 0)
}

fn tell(connection: &Connection, app: AppId, group: GroupRecord, users: &[String]) -> Result<GroupEdited, StoreError> {
    let change = ChangeRecord::GroupUpdated { group_id: group.group_id.clone() };
    let changes = users.iter().map(|user| changes::append(connection, app, user, &change)).collect::<Result<_, _>>()?;
    Ok(GroupEdited { group, changes })
}
