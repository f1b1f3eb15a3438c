//! Groups and memberships: creation, joining and leaving, and lookups.
//!
//! A group's conversation row is created with the group, and every member has a user row for it
//! from the moment it joins until it leaves; a new member's read mark starts at the newest message.
//! Every membership write locks the group's `chat_groups` row first (`FOR UPDATE`), so the
//! membership writes of one group run one at a time, whichever node runs them: the "already a
//! member" answers and the member cap are exact.

use std::collections::HashSet;

use mynah_proto::objects::{GroupType, JoinOption, MemberRole};
use mynah_store::backend::{distinct_members, exceeds_cap};
use mynah_store::{
    AppId, AppendedChange, ChangeRecord, ConversationKey, GroupCreated, GroupRecord, GroupStore, MemberRecord,
    MembersAdded, NewGroup, NewMember, StoreError,
};
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{Executor, Postgres};

use crate::rows::{backend, int, named, text, unsigned, unsigned32};
use crate::{PostgresStore, changes};

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
     WHERE g.app = $1 AND g.group_id = $2"
);
const GROUPS_OF_USER: &str = concat!(
    "SELECT ",
    group_columns!(),
    ", gm.user_id, gm.role, gm.joined_at_ms, gm.mute_until_ms, gm.name_card FROM group_members gm \
     JOIN chat_groups g ON g.app = gm.app AND g.group_id = gm.group_id \
     JOIN conversations c ON c.app = g.app AND c.conv_key = g.conv_key \
     WHERE gm.app = $1 AND gm.user_id = $2 ORDER BY gm.group_id"
);
const GET_MEMBER: &str = "SELECT user_id, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = $1 AND group_id = $2 AND user_id = $3";
const MEMBERS: &str = "SELECT user_id, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = $1 AND group_id = $2 ORDER BY user_id";
const MEMBER_PAGE: &str = "SELECT user_id, role, joined_at_ms, mute_until_ms, name_card FROM group_members \
     WHERE app = $1 AND group_id = $2 AND ($3::TEXT IS NULL OR role = $3) ORDER BY user_id LIMIT $4 OFFSET $5";
const MEMBER_IDS: &str = "SELECT user_id FROM group_members WHERE app = $1 AND group_id = $2 ORDER BY user_id";
const GROUP_IDS_OF_USER: &str = "SELECT group_id FROM group_members WHERE app = $1 AND user_id = $2 ORDER BY group_id";

/// How a write locks a group's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupLock {
    /// Membership writes and dismissal: one at a time per group.
    Exclusive,
    /// Writes that only need the membership to hold still (notices, recalls): they run alongside
    /// each other, never alongside a membership write.
    Shared,
}

/// Locks the group's row, first in its transaction (see the lock order in the crate docs); false
/// when the group does not exist.
pub(crate) async fn lock(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    mode: GroupLock,
) -> Result<bool, StoreError> {
    let sql = match mode {
        GroupLock::Exclusive => "SELECT 1 AS locked FROM chat_groups WHERE app = $1 AND group_id = $2 FOR UPDATE",
        GroupLock::Shared => "SELECT 1 AS locked FROM chat_groups WHERE app = $1 AND group_id = $2 FOR SHARE",
    };
    let row = sqlx::query(sql).bind(int(app)).bind(group_id).fetch_optional(transaction).await.map_err(backend)?;
    Ok(row.is_some())
}

/// Creates a group, its conversation and its initial members in one transaction.
pub(crate) async fn create(pool: &PgPool, group: &NewGroup, members: &[NewMember]) -> Result<GroupCreated, StoreError> {
    let app = group.app;
    let members = distinct_members(members);
    let key = ConversationKey::group(&group.group_id);
    let mut transaction = pool.begin().await.map_err(backend)?;
    // A racing create of the same ID waits here for the first to commit, then inserts nothing.
    let inserted = sqlx::query(
        "INSERT INTO chat_groups (app, group_id, conv_key, group_type, name, owner, created_at_ms, max_member_num, \
         join_option, introduction, notification, avatar, member_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (app, group_id) DO NOTHING",
    )
    .bind(int(app))
    .bind(&group.group_id)
    .bind(key.as_str())
    .bind(group.group_type.as_str())
    .bind(&group.name)
    .bind(&group.owner)
    .bind(int(group.created_at_ms))
    .bind(i64::from(group.max_member_num))
    .bind(group.join_option.as_str())
    .bind(&group.introduction)
    .bind(&group.notification)
    .bind(&group.avatar)
    .bind(int(members.len() as u64))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::AlreadyExists(format!("group {}", group.group_id)));
    }
    if exceeds_cap(group.max_member_num, 0, members.len()) {
        return Err(StoreError::GroupFull);
    }
    sqlx::query(
        "INSERT INTO conversations (app, conv_key, last_seq, counted_total, last_visible_seq, updated_at_ms) \
         VALUES ($1, $2, 0, 0, 0, $3)",
    )
    .bind(int(app))
    .bind(key.as_str())
    .bind(int(group.created_at_ms))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    for member in &members {
        join(&mut transaction, app, &group.group_id, &key, member, (0, 0)).await?;
    }
    let joined = ChangeRecord::GroupJoined { group_id: group.group_id.clone() };
    let changes =
        changes::append_all(&mut transaction, app, members.iter().map(|m| (m.user.clone(), joined.clone())).collect())
            .await?;
    let created = get(&mut *transaction, app, &group.group_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("group {} vanished while being created", group.group_id)))?;
    transaction.commit().await.map_err(backend)?;
    Ok(GroupCreated { group: created, changes })
}

/// Adds the members that are not in yet, all or none, in one transaction.
pub(crate) async fn add_members(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    members: &[NewMember],
) -> Result<MembersAdded, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    if !lock(&mut transaction, app, group_id, GroupLock::Exclusive).await? {
        return Err(StoreError::NotFound(format!("group {group_id}")));
    }
    let mut group = get(&mut *transaction, app, group_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("group {group_id} vanished while locked")))?;
    let members = distinct_members(members);
    let named: Vec<&str> = members.iter().map(|member| member.user.as_str()).collect();
    let present: HashSet<String> =
        sqlx::query_scalar("SELECT user_id FROM group_members WHERE app = $1 AND group_id = $2 AND user_id = ANY($3)")
            .bind(int(app))
            .bind(group_id)
            .bind(&named)
            .fetch_all(&mut *transaction)
            .await
            .map_err(backend)?
            .into_iter()
            .collect();
    let (already, joining): (Vec<&NewMember>, Vec<&NewMember>) =
        members.into_iter().partition(|member| present.contains(&member.user));
    if exceeds_cap(group.max_member_num, group.member_count, joining.len()) {
        return Err(StoreError::GroupFull);
    }
    // The newest message as committed now: a message committed after this read counts as unread
    // for the new member, one committed before it as read.
    let key = ConversationKey::group(group_id);
    let newest = sqlx::query("SELECT last_seq, counted_total FROM conversations WHERE app = $1 AND conv_key = $2")
        .bind(int(app))
        .bind(key.as_str())
        .fetch_one(&mut *transaction)
        .await
        .map_err(backend)?;
    let newest = (unsigned(&newest, "last_seq")?, unsigned(&newest, "counted_total")?);
    for member in &joining {
        join(&mut transaction, app, group_id, &key, member, newest).await?;
    }
    let added = u32::try_from(joining.len()).map_err(|_| StoreError::GroupFull)?;
    set_member_count(&mut transaction, app, group_id, group.member_count + added).await?;
    let joined = ChangeRecord::GroupJoined { group_id: group_id.to_owned() };
    let changes =
        changes::append_all(&mut transaction, app, joining.iter().map(|m| (m.user.clone(), joined.clone())).collect())
            .await?;
    transaction.commit().await.map_err(backend)?;
    group.member_count += added;
    group.last_seq = newest.0;
    let already_members = already.into_iter().map(|member| member.user.clone()).collect();
    Ok(MembersAdded { group, changes, already_members })
}

/// Removes a membership and its conversation row in one transaction.
pub(crate) async fn remove_member(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    user: &str,
) -> Result<Option<AppendedChange>, StoreError> {
    let mut transaction = pool.begin().await.map_err(backend)?;
    if !lock(&mut transaction, app, group_id, GroupLock::Exclusive).await?
        || !leave(&mut transaction, app, group_id, user).await?
    {
        return Ok(None);
    }
    // An owner leaving (a work group's may) leaves the group without one.
    sqlx::query(
        "UPDATE chat_groups SET member_count = member_count - 1, \
         owner = CASE WHEN owner = $3 THEN '' ELSE owner END WHERE app = $1 AND group_id = $2",
    )
    .bind(int(app))
    .bind(group_id)
    .bind(user)
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    let left = ChangeRecord::GroupLeft { group_id: group_id.to_owned() };
    let change = changes::append(&mut transaction, app, user, &left).await?;
    transaction.commit().await.map_err(backend)?;
    Ok(Some(change))
}

/// Deletes a membership and its user row (the group's row must be locked); false when the user was
/// not a member. The caller updates the member count and appends the change.
pub(crate) async fn leave(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    user: &str,
) -> Result<bool, StoreError> {
    let removed = sqlx::query("DELETE FROM group_members WHERE app = $1 AND group_id = $2 AND user_id = $3")
        .bind(int(app))
        .bind(group_id)
        .bind(user)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    if removed.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM user_conversations WHERE app = $1 AND user_id = $2 AND conv_key = $3")
        .bind(int(app))
        .bind(user)
        .bind(ConversationKey::group(group_id).as_str())
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    Ok(true)
}

/// Sets the group's member count (the group's row must be locked).
pub(crate) async fn set_member_count(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    count: u32,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE chat_groups SET member_count = $3 WHERE app = $1 AND group_id = $2")
        .bind(int(app))
        .bind(group_id)
        .bind(i64::from(count))
        .execute(transaction)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(crate) async fn get<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    group_id: &str,
) -> Result<Option<GroupRecord>, StoreError> {
    let row = sqlx::query(GET).bind(int(app)).bind(group_id).fetch_optional(executor).await.map_err(backend)?;
    row.as_ref().map(group_from_row).transpose()
}

/// Every member with its role, ordered by user.
pub(crate) async fn members<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    group_id: &str,
) -> Result<Vec<MemberRecord>, StoreError> {
    let rows = sqlx::query(MEMBERS).bind(int(app)).bind(group_id).fetch_all(executor).await.map_err(backend)?;
    rows.iter().map(member_from_row).collect()
}

/// A page of the members ordered by user, of one role when given.
pub(crate) async fn member_page(
    pool: &PgPool,
    app: AppId,
    group_id: &str,
    role: Option<MemberRole>,
    offset: u32,
    limit: u32,
) -> Result<Vec<MemberRecord>, StoreError> {
    let rows = sqlx::query(MEMBER_PAGE)
        .bind(int(app))
        .bind(group_id)
        .bind(role.map(MemberRole::as_str))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    rows.iter().map(member_from_row).collect()
}

/// The user IDs of every member, ordered.
pub(crate) async fn member_ids<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    app: AppId,
    group_id: &str,
) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(MEMBER_IDS).bind(int(app)).bind(group_id).fetch_all(executor).await.map_err(backend)
}

/// Inserts one membership with its user row (read mark at `newest`: last sequence and counted
/// total). The caller appends the `GroupJoined` changes, last in its transaction.
async fn join(
    transaction: &mut PgConnection,
    app: AppId,
    group_id: &str,
    key: &ConversationKey,
    member: &NewMember,
    newest: (u64, u64),
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO group_members (app, group_id, user_id, role, joined_at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(int(app))
        .bind(group_id)
        .bind(&member.user)
        .bind(member.role.as_str())
        .bind(int(member.joined_at_ms))
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
    sqlx::query(
        "INSERT INTO user_conversations (app, user_id, conv_key, read_seq, read_counted, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app, user_id, conv_key) DO UPDATE SET \
         read_seq = excluded.read_seq, read_counted = excluded.read_counted, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(int(app))
    .bind(&member.user)
    .bind(key.as_str())
    .bind(int(newest.0))
    .bind(int(newest.1))
    .bind(int(member.joined_at_ms))
    .execute(&mut *transaction)
    .await
    .map_err(backend)?;
    Ok(())
}

fn group_from_row(row: &PgRow) -> Result<GroupRecord, StoreError> {
    Ok(GroupRecord {
        app: unsigned(row, "app")?,
        group_id: text(row, "group_id")?,
        group_type: named(row, "group_type", GroupType::parse)?,
        name: text(row, "name")?,
        owner: text(row, "owner")?,
        created_at_ms: unsigned(row, "created_at_ms")?,
        max_member_num: unsigned32(row, "max_member_num")?,
        join_option: named(row, "join_option", JoinOption::parse)?,
        introduction: text(row, "introduction")?,
        notification: text(row, "notification")?,
        avatar: text(row, "avatar")?,
        member_count: unsigned32(row, "member_count")?,
        last_seq: unsigned(row, "last_seq")?,
    })
}

fn member_from_row(row: &PgRow) -> Result<MemberRecord, StoreError> {
    Ok(MemberRecord {
        user: text(row, "user_id")?,
        role: named(row, "role", MemberRole::parse)?,
        joined_at_ms: unsigned(row, "joined_at_ms")?,
        mute_until_ms: unsigned(row, "mute_until_ms")?,
        name_card: text(row, "name_card")?,
    })
}

#[async_trait::async_trait]
impl GroupStore for PostgresStore {
    async fn create_group(&self, group: NewGroup, members: Vec<NewMember>) -> Result<GroupCreated, StoreError> {
        create(&self.pool, &group, &members).await
    }

    async fn get_group(&self, app: AppId, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
        get(&self.pool, app, group_id).await
    }

    async fn add_members(
        &self,
        app: AppId,
        group_id: &str,
        members: Vec<NewMember>,
    ) -> Result<MembersAdded, StoreError> {
        add_members(&self.pool, app, group_id, &members).await
    }

    async fn remove_member(
        &self,
        app: AppId,
        group_id: &str,
        user: &str,
    ) -> Result<Option<AppendedChange>, StoreError> {
        remove_member(&self.pool, app, group_id, user).await
    }

    async fn get_member(&self, app: AppId, group_id: &str, user: &str) -> Result<Option<MemberRecord>, StoreError> {
        let row = sqlx::query(GET_MEMBER)
            .bind(int(app))
            .bind(group_id)
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(member_from_row).transpose()
    }

    async fn member_ids(&self, app: AppId, group_id: &str) -> Result<Vec<String>, StoreError> {
        member_ids(&self.pool, app, group_id).await
    }

    async fn group_ids_of_user(&self, app: AppId, user: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(GROUP_IDS_OF_USER).bind(int(app)).bind(user).fetch_all(&self.pool).await.map_err(backend)
    }

    async fn groups_of_user(&self, app: AppId, user: &str) -> Result<Vec<(GroupRecord, MemberRecord)>, StoreError> {
        let rows =
            sqlx::query(GROUPS_OF_USER).bind(int(app)).bind(user).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(|row| Ok((group_from_row(row)?, member_from_row(row)?))).collect()
    }
}
