//! Ownership, roles and mutes administered through the REST API: `change_group_owner`,
//! `get_role_in_group`, `forbid_send_msg` and `get_group_muted_account`. Every rule is asked of
//! `policy` as the app administrator; members learn of each change through their change streams.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::MemberRole;
use mynah_store::{AppId, MemberRecord};

use crate::error::{ServiceError, ServiceResult};
use crate::policy::{self, Actor, GroupAction};
use crate::{Service, now_ms};

/// The most users one `get_role_in_group` asks about (Tencent: 500).
pub const MAX_ROLE_QUERY: usize = 500;
/// The most members one `forbid_send_msg` mutes or unmutes (Tencent: 500).
pub const MAX_MUTED_AT_ONCE: usize = 500;

impl Service {
    /// `change_group_owner`: makes a member the owner; the old owner, if the group has one, becomes
    /// an ordinary member. This is also how an ownerless work group (its owner quit) gets an owner
    /// again. 10004 when the new owner is not a member or owns the group already, 10007 for a
    /// live room.
    pub async fn admin_change_owner(&self, app: AppId, group_id: &str, new_owner: &str) -> ServiceResult<()> {
        let group = self.existing_group_of(app, group_id).await?;
        policy::check(group.group_type, Actor::AppAdmin, GroupAction::TransferOwnership)?;
        if group.owner == new_owner {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                format!("{new_owner} owns group {group_id} already"),
            ));
        }
        let edited = self.store().group_admin.change_owner(app, group_id, new_owner).await;
        let edited = self.edited("change_group_owner", group_id, edited)?;
        self.publish_changes(app, &edited.changes).await;
        Ok(())
    }

    /// `get_role_in_group`: each named user's role, `None` for a user who is not a member, in the
    /// order asked. 10004 for an empty or over-long list, 10007 for a live room.
    pub async fn admin_roles(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
    ) -> ServiceResult<Vec<(String, Option<MemberRole>)>> {
        check_users("User_Account", users.len(), MAX_ROLE_QUERY)?;
        let group = self.existing_group_of(app, group_id).await?;
        policy::check(group.group_type, Actor::AppAdmin, GroupAction::QueryRoles)?;
        let members = self.all_members(app, group_id, "get_role_in_group").await?;
        Ok(users
            .into_iter()
            .map(|user| {
                let role = members.iter().find(|member| member.user == user).map(|member| member.role);
                (user, role)
            })
            .collect())
    }

    /// `forbid_send_msg`: mutes the named members for `seconds` from now (0 unmutes). Every named
    /// user must be a member the policy lets the administrator mute (not the owner, not in a work
    /// group); otherwise nothing is written.
    pub async fn admin_mute_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        seconds: u32,
    ) -> ServiceResult<()> {
        check_users("Members_Account", users.len(), MAX_MUTED_AT_ONCE)?;
        let group = self.existing_group_of(app, group_id).await?;
        let members = self.all_members(app, group_id, "forbid_send_msg").await?;
        // Every target is checked before the first write, so a refused request changes nothing.
        for user in &users {
            let member = members.iter().find(|member| &member.user == user).ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::GROUP_INVALID_PARAMETER,
                    format!("{user} is not a member of group {group_id}"),
                )
            })?;
            policy::check(group.group_type, Actor::AppAdmin, GroupAction::Mute { target: member.role })?;
        }
        let until_ms = if seconds == 0 { 0 } else { now_ms() + u64::from(seconds) * 1000 };
        for user in &users {
            let edited = self.store().group_admin.mute_member(app, group_id, user, until_ms).await;
            let edited = self.edited("forbid_send_msg", group_id, edited)?;
            self.publish_changes(app, &edited.changes).await;
        }
        Ok(())
    }

    /// `get_group_muted_account`: the members muted now, with the unix milliseconds their mute
    /// ends, ordered by user.
    pub async fn admin_muted_members(&self, app: AppId, group_id: &str) -> ServiceResult<Vec<(String, u64)>> {
        self.existing_group_of(app, group_id).await?;
        let now = now_ms();
        let mut muted: Vec<(String, u64)> = self
            .all_members(app, group_id, "get_group_muted_account")
            .await?
            .into_iter()
            .filter(|member| member.mute_until_ms > now)
            .map(|member| (member.user, member.mute_until_ms))
            .collect();
        muted.sort();
        Ok(muted)
    }

    async fn all_members(&self, app: AppId, group_id: &str, operation: &str) -> ServiceResult<Vec<MemberRecord>> {
        self.store()
            .group_admin
            .members(app, group_id)
            .await
            .map_err(|error| ServiceError::from_store(operation, error, ErrorCode::GROUP_INTERNAL))
    }
}

fn check_users(field: &str, count: usize, max: usize) -> ServiceResult<()> {
    if count == 0 || count > max {
        return Err(ServiceError::new(
            ErrorCode::GROUP_INVALID_PARAMETER,
            format!("{field} has {count} accounts; 1 to {max}"),
        ));
    }
    Ok(())
}
