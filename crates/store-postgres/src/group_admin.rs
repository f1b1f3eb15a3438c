//! Group administration: the member list with roles (whole or a page), removing members with a
//! notice, dismissing a group, and custom system notices. Each write locks the group's row first and
//! appends the affected users' change-stream entries last, in its own transaction.

use std::collections::HashSet;

use mynah_proto::objects::MemberRole;
use mynah_store::{
    AppId, AppendedChange, ChangeRecord, ConversationKey, GroupAdminStore, GroupEdit, GroupEdited, GroupNoticeRecord,
    GroupRecord, MemberRecord, StoreError,
};
use sqlx::postgres::{PgConnection, PgPool};

use crate::groups::{self, GroupLock};
use crate::rows::{backend, int};
use crate::{PostgresStore, changes, group_edits};

/// Locks the group's row in `mode` and reads the group; `NotFound` when it does not exist.
async fn locked_group(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    mode: GroupLock,
) -> Result<GroupRecord, StoreError> {
    if !groups::lock(transaction, app, group_id, mode).await? {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    }
    groups::get(&mut *transaction, app, group_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("group {group_id} vanished while locked")))
}

/// Removes members other than the owner, each with a `GroupLeft` and a notice, in one transaction.
async fn remove_members(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    users: &[String],
    notice: &GroupNoticeRecord,
) -> Result<Vec<AppendedChange>, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let group = locked_group(&mut transaction, app, group_id, GroupLock::Exclusive).await?;
    let mut seen = HashSet::new();
    let mut removed = Vec::new();
    for user in users.iter().filter(|user| seen.insert(user.as_str()) && **user != group.owner) {
        if groups::leave(&mut transaction, app, group_id, user).await? {
            removed.push(user);
        }
    }
    let count = u32::try_from(removed.len()).unwrap_or(u32::MAX);
    groups::set_member_count(&mut transaction, app, group_id, group.member_count.saturating_sub(count)).await?;
    let left = ChangeRecord::GroupLeft { group_id: group_id.to_owned() };
    let kicked =
        ChangeRecord::GroupNotice { group_id: group_id.to_owned(), group_name: group.name, notice: notice.clone() };
    let told = removed.iter().flat_map(|user| [((*user).clone(), left.clone()), ((*user).clone(), kicked.clone())]);
    let appended = changes::append_all(&mut transaction, app, told.collect()).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(appended)
}

/// Deletes a group with everything in it and tells every member, in one transaction. After the
/// group's row, it locks the conversation row (by deleting it), so it waits for the appends in
/// flight and every append after it finds no group.
async fn dismiss(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    operator: &str,
    at_ms: u64,
) -> Result<Vec<AppendedChange>, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let group = locked_group(&mut transaction, app, group_id, GroupLock::Exclusive).await?;
    let key = ConversationKey::group(group_id);
    sqlx::query("DELETE FROM conversations WHERE app = $1 AND conv_key = $2")
        .bind(int(app))
        .bind(key.as_str())
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    let mut members: Vec<String> =
        sqlx::query_scalar("DELETE FROM group_members WHERE app = $1 AND group_id = $2 RETURNING user_id")
            .bind(int(app))
            .bind(group_id)
            .fetch_all(&mut *transaction)
            .await
            .map_err(backend)?;
    members.sort_unstable();
    // Only members have a user row for the group; naming them keeps the delete on the primary key.
    sqlx::query("DELETE FROM user_conversations WHERE app = $1 AND user_id = ANY($2) AND conv_key = $3")
        .bind(int(app))
        .bind(&members)
        .bind(key.as_str())
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    // The messages go with the group, so a new group may take its ID and start again at sequence 1.
    sqlx::query("DELETE FROM messages WHERE app = $1 AND conv_key = $2")
        .bind(int(app))
        .bind(key.as_str())
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    sqlx::query("DELETE FROM chat_groups WHERE app = $1 AND group_id = $2")
        .bind(int(app))
        .bind(group_id)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    let dismissed = ChangeRecord::GroupDismissed {
        group_id: group_id.to_owned(),
        group_name: group.name,
        operator: operator.to_owned(),
        at_ms,
    };
    let told = members.into_iter().map(|member| (member, dismissed.clone())).collect();
    let appended = changes::append_all(&mut transaction, app, told).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(appended)
}

/// Appends a notice for the listed members (every member when none is listed), in one transaction.
/// The group's row is share-locked, so the membership holds still while notices to one group run
/// alongside each other.
async fn notify(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    users: &[String],
    notice: &GroupNoticeRecord,
) -> Result<Vec<AppendedChange>, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    let group = locked_group(&mut transaction, app, group_id, GroupLock::Shared).await?;
    let members = groups::member_ids(&mut *transaction, app, group_id).await?;
    let listed: HashSet<&str> = users.iter().map(String::as_str).collect();
    let change =
        ChangeRecord::GroupNotice { group_id: group_id.to_owned(), group_name: group.name, notice: notice.clone() };
    let told = members
        .into_iter()
        .filter(|member| listed.is_empty() || listed.contains(member.as_str()))
        .map(|member| (member, change.clone()))
        .collect();
    let appended = changes::append_all(&mut transaction, app, told).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(appended)
}

#[async_trait::async_trait]
impl GroupAdminStore for PostgresStore {
    async fn members(&self, app: AppId, group_id: &str) -> Result<Vec<MemberRecord>, StoreError> {
        groups::members(&self.pool, app, group_id).await
    }

    async fn member_page(
        &self,
        app: AppId,
        group_id: &str,
        role: Option<MemberRole>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MemberRecord>, StoreError> {
        groups::member_page(&self.pool, app, group_id, role, offset, limit).await
    }

    async fn remove_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        remove_members(&self.pool, app, group_id, &users, &notice).await
    }

    async fn dismiss_group(
        &self,
        app: AppId,
        group_id: &str,
        operator: &str,
        at_ms: u64,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        dismiss(&self.pool, app, group_id, operator, at_ms).await
    }

    async fn notify_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        notice: GroupNoticeRecord,
    ) -> Result<Vec<AppendedChange>, StoreError> {
        notify(&self.pool, app, group_id, &users, &notice).await
    }

    async fn edit_group(&self, app: AppId, group_id: &str, edit: GroupEdit) -> Result<GroupEdited, StoreError> {
        group_edits::edit(&self.pool, app, group_id, &edit).await
    }

    async fn set_member_role(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        role: MemberRole,
    ) -> Result<GroupEdited, StoreError> {
        group_edits::set_role(&self.pool, app, group_id, user, role).await
    }

    async fn change_owner(&self, app: AppId, group_id: &str, new_owner: &str) -> Result<GroupEdited, StoreError> {
        group_edits::change_owner(&self.pool, app, group_id, new_owner).await
    }

    async fn mute_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        until_ms: u64,
    ) -> Result<GroupEdited, StoreError> {
        group_edits::mute(&self.pool, app, group_id, user, until_ms).await
    }

    async fn set_name_card(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
        name_card: &str,
    ) -> Result<GroupEdited, StoreError> {
        group_edits::set_name_card(&self.pool, app, group_id, user, name_card).await
    }
}
