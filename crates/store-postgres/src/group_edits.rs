//! Edits of a group that its members must learn: its profile fields, a member's role, mute or name
//! card, and its owner. Each is one transaction that locks the group's row first, then the member rows it
//! changes, and appends the `GroupUpdated` entries of everyone whose view changed last (the lock
//! order of the crate docs).

use mynah_proto::objects::MemberRole;
use mynah_store::backend::MemberField;
use mynah_store::{AppId, ChangeRecord, GroupEdit, GroupEdited, GroupRecord, StoreError};
use sqlx::postgres::{PgConnection, PgPool};

use crate::changes;
use crate::groups::{self, GroupLock};
use crate::rows::{backend, int};

/// Applies the edit's fields and tells every member. The row lock is exclusive: the membership
/// read for the entries must not change until they are appended.
pub(crate) async fn edit(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    edit: &GroupEdit,
) -> Result<GroupEdited, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let mut group = locked(&mut transaction, app, group_id).await?;
    let GroupEdit { name, introduction, notification, avatar, join_option } = edit.clone();
    group.name = name.unwrap_or(group.name);
    group.introduction = introduction.unwrap_or(group.introduction);
    group.notification = notification.unwrap_or(group.notification);
    group.avatar = avatar.unwrap_or(group.avatar);
    group.join_option = join_option.unwrap_or(group.join_option);
    sqlx::query(
        "UPDATE chat_groups SET name = $3, introduction = $4, notification = $5, avatar = $6, join_option = $7 \
         WHERE app = $1 AND group_id = $2",
    )
    .bind(int(app))
    .bind(group_id)
    .bind(&group.name)
    .bind(&group.introduction)
    .bind(&group.notification)
    .bind(&group.avatar)
    .bind(group.join_option.as_str())
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    let members = groups::member_ids(&mut *transaction, app, group_id).await?;
    let edited = tell(&mut transaction, app, group, members).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(edited)
}

/// Sets a member's role and tells that member.
pub(crate) async fn set_role(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    user: &str,
    role: MemberRole,
) -> Result<GroupEdited, StoreError> {
    edit_member(pool, app, group_id, user, MemberField::Role(role)).await
}

/// Makes a member the owner (the old owner, if any, becomes an ordinary member) and tells every
/// member. The two member rows are updated in user order, as every transaction takes them.
pub(crate) async fn change_owner(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    new_owner: &str,
) -> Result<GroupEdited, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let mut group = locked(&mut transaction, app, group_id).await?;
    let old_owner = group.owner.clone();
    let mut updates = vec![(new_owner.to_owned(), MemberRole::Owner)];
    if !old_owner.is_empty() && old_owner != new_owner {
        updates.push((old_owner, MemberRole::Member));
    }
    updates.sort_by(|left, right| left.0.cmp(&right.0));
    for (user, role) in &updates {
        if !update_member(&mut transaction, app, group_id, user, MemberField::Role(*role)).await? && user == new_owner {
            return Err(StoreError::NotMember(format!("{new_owner} in group {group_id}")));
        }
    }
    sqlx::query("UPDATE chat_groups SET owner = $3 WHERE app = $1 AND group_id = $2")
        .bind(int(app))
        .bind(group_id)
        .bind(new_owner)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    group.owner = new_owner.to_owned();
    let members = groups::member_ids(&mut *transaction, app, group_id).await?;
    let edited = tell(&mut transaction, app, group, members).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(edited)
}

/// Sets a member's name card and tells that member.
pub(crate) async fn set_name_card(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    user: &str,
    name_card: &str,
) -> Result<GroupEdited, StoreError> {
    edit_member(pool, app, group_id, user, MemberField::NameCard(name_card)).await
}

/// Sets until when a member is muted and tells that member.
pub(crate) async fn mute(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    user: &str,
    until_ms: u64,
) -> Result<GroupEdited, StoreError> {
    edit_member(pool, app, group_id, user, MemberField::MuteUntil(until_ms)).await
}

/// Sets one column of a member's row under the group's lock and tells that member; `NotMember`
/// when the user is not one.
async fn edit_member(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    user: &str,
    field: MemberField<'_>,
) -> Result<GroupEdited, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let group = locked(&mut transaction, app, group_id).await?;
    if !update_member(&mut transaction, app, group_id, user, field).await? {
        return Err(StoreError::NotMember(format!("{user} in group {group_id}")));
    }
    let edited = tell(&mut transaction, app, group, vec![user.to_owned()]).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(edited)
}

/// Locks the group's row exclusively (first in the transaction) and reads it.
async fn locked(transaction: &mut PgConnection, app: AppId, group_id: &str) -> Result<GroupRecord, StoreError> {
    if !groups::lock(transaction, app, group_id, GroupLock::Exclusive).await? {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    }
    groups::get(&mut *transaction, app, group_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("group {group_id} vanished while locked")))
}

/// Sets one column of a membership; false when the user is not a member.
async fn update_member(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    user: &str,
    field: MemberField<'_>,
) -> Result<bool, StoreError> {
    let sql = match field {
        MemberField::Role(_) => "UPDATE group_members SET role = $4 WHERE app = $1 AND group_id = $2 AND user_id = $3",
        MemberField::NameCard(_) => {
            "UPDATE group_members SET name_card = $4 WHERE app = $1 AND group_id = $2 AND user_id = $3"
        }
        MemberField::MuteUntil(_) => {
            "UPDATE group_members SET mute_until_ms = $4 WHERE app = $1 AND group_id = $2 AND user_id = $3"
        }
    };
    let query = sqlx::query(sql).bind(int(app)).bind(group_id).bind(user);
    let query = match field {
        MemberField::Role(role) => query.bind(role.as_str()),
        MemberField::NameCard(name_card) => query.bind(name_card),
        MemberField::MuteUntil(until_ms) => query.bind(int(until_ms)),
    };
    let updated = query.execute(&mut *transaction).await.map_err(backend)?;
    Ok(updated.rows_affected() > 0)
}

/// Appends a `GroupUpdated` entry for each user (change heads last, in user order).
async fn tell(
    transaction: &mut PgConnection,
    app: AppId,
    group: GroupRecord,
    users: Vec<String>,
) -> Result<GroupEdited, StoreError> {
    let change = ChangeRecord::GroupUpdated { group_id: group.group_id.clone() };
    let told = users.into_iter().map(|user| (user, change.clone())).collect();
    let changes = changes::append_all(transaction, app, told).await?;
    Ok(GroupEdited { group, changes })
}
