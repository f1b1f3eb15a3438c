//! Groups administered through the REST API: creating with any owner, reading profiles and
//! members, adding and removing members, dismissing, the groups of a user, system notices and
//! message history. Members learn of every change through their change streams.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{GROUP_NOTICE_CUSTOM, GROUP_NOTICE_KICKED, Group, MemberRole};
use mynah_proto::requests::{CreateGroupRequest, Platform};
use mynah_store::{
    AppId, ConversationKey, GroupNoticeRecord, GroupRecord, HistoryRange, MemberRecord, NewMember, StoreError,
    StoredMessage,
};

use crate::error::{ServiceError, ServiceResult};
use crate::policy::{self, Actor, GroupAction};
use crate::{Service, Session, now_ms};

/// The most members one `add_group_member` takes (Tencent: 300).
pub const MAX_MEMBERS_ADDED: usize = 300;
/// The most members one `delete_group_member` takes (Tencent: 100).
pub const MAX_MEMBERS_REMOVED: usize = 100;
/// The most groups one `get_group_info` takes (Tencent: 50).
pub const MAX_GROUP_INFO: usize = 50;
/// The most members one system notice names (Tencent: 500).
pub const MAX_NOTICE_MEMBERS: usize = 500;
/// The longest system notice, in bytes (the message limit, 12 KB).
pub const MAX_NOTICE_BYTES: usize = 12 * 1024;
/// The most messages one `group_msg_get_simple` returns (Tencent: 20).
pub const MAX_GROUP_HISTORY: u32 = 20;

/// What happened to one user of an `add_group_member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAddition {
    /// The account does not exist.
    Failed,
    Added,
    AlreadyMember,
}

impl Service {
    /// `create_group`: creates a group owned by `owner` (an existing account; the administrator
    /// when the REST call names none). 10019 when the owner or a member does not exist.
    pub async fn admin_create_group(
        &self,
        app: AppId,
        owner: &str,
        request: CreateGroupRequest,
    ) -> ServiceResult<Group> {
        let mut named: Vec<String> = vec![owner.to_owned()];
        named.extend(request.member_list.iter().map(|member| member.user_id.clone()));
        self.require_accounts(app, named).await?;
        let session = Session {
            app,
            user: owner.to_owned(),
            session_id: 0,
            platform: Platform::default(),
            client_ip: String::new(),
        };
        self.create_group(&session, request).await
    }

    /// `get_group_info`: a group and its members. 10010 when it does not exist.
    pub async fn admin_group_info(
        &self,
        app: AppId,
        group_id: &str,
    ) -> ServiceResult<(GroupRecord, Vec<MemberRecord>)> {
        let group = self.existing_group_of(app, group_id).await?;
        let members = self
            .store()
            .group_admin
            .members(app, group_id)
            .await
            .map_err(|error| ServiceError::from_store("get_group_info", error, ErrorCode::GROUP_INTERNAL))?;
        Ok((group, members))
    }

    /// `add_group_member`: adds existing accounts as members; each user's outcome in order.
    pub async fn admin_add_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
    ) -> ServiceResult<Vec<(String, MemberAddition)>> {
        check_count("MemberList", users.len(), MAX_MEMBERS_ADDED)?;
        let group = self.existing_group_of(app, group_id).await?;
        policy::check(group.group_type, Actor::AppAdmin, GroupAction::AddMembers)?;
        let existing = self.existing_accounts(app, users.clone()).await?;
        let now = now_ms();
        let joining: Vec<NewMember> = existing
            .iter()
            .map(|user| NewMember { user: user.clone(), role: MemberRole::Member, joined_at_ms: now })
            .collect();
        let already = if joining.is_empty() {
            Vec::new()
        } else {
            let added = self.store().groups.add_members(app, group_id, joining).await.map_err(|error| match error {
                StoreError::GroupFull => ServiceError::new(ErrorCode::GROUP_FULL, format!("group {group_id} is full")),
                StoreError::NotFound(_) => {
                    ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist"))
                }
                other => ServiceError::from_store("add_group_member", other, ErrorCode::GROUP_INTERNAL),
            })?;
            self.publish_changes(app, &added.changes).await;
            added.already_members
        };
        Ok(users
            .into_iter()
            .map(|user| {
                let outcome = if !existing.contains(&user) {
                    MemberAddition::Failed
                } else if already.contains(&user) {
                    MemberAddition::AlreadyMember
                } else {
                    MemberAddition::Added
                };
                (user, outcome)
            })
            .collect())
    }

    /// `delete_group_member`: removes members; each removed user gets a system notice (type 4)
    /// with `reason`. The owner cannot be removed (10004).
    pub async fn admin_remove_members(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        reason: &str,
    ) -> ServiceResult<()> {
        check_count("MemberToDel_Account", users.len(), MAX_MEMBERS_REMOVED)?;
        let group = self.existing_group_of(app, group_id).await?;
        if users.contains(&group.owner) {
            policy::check(group.group_type, Actor::AppAdmin, GroupAction::RemoveMember { target: MemberRole::Owner })?;
        }
        let notice = self.admin_notice(app, GROUP_NOTICE_KICKED, reason);
        let changes = self
            .store()
            .group_admin
            .remove_members(app, group_id, users, notice)
            .await
            .map_err(|error| group_error(error, group_id, "delete_group_member"))?;
        self.publish_changes(app, &changes).await;
        Ok(())
    }

    /// `destroy_group`: dismisses a group; every member learns it.
    pub async fn admin_dismiss_group(&self, app: AppId, group_id: &str) -> ServiceResult<()> {
        let operator = self.admin_identifier(app);
        let changes = self
            .store()
            .group_admin
            .dismiss_group(app, group_id, &operator, now_ms())
            .await
            .map_err(|error| group_error(error, group_id, "destroy_group"))?;
        self.publish_changes(app, &changes).await;
        Ok(())
    }

    /// `get_joined_group_list`: the groups `user` is a member of, with the membership.
    pub async fn admin_joined_groups(&self, app: AppId, user: &str) -> ServiceResult<Vec<(GroupRecord, MemberRecord)>> {
        self.store()
            .groups
            .groups_of_user(app, user)
            .await
            .map_err(|error| ServiceError::from_store("get_joined_group_list", error, ErrorCode::GROUP_INTERNAL))
    }

    /// `send_group_system_notification`: a custom notice (type 255) to the listed members, or every
    /// member when none is listed.
    pub async fn admin_notify_group(
        &self,
        app: AppId,
        group_id: &str,
        users: Vec<String>,
        content: &str,
    ) -> ServiceResult<()> {
        if users.len() > MAX_NOTICE_MEMBERS {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                format!("{} members named, over {MAX_NOTICE_MEMBERS}", users.len()),
            ));
        }
        if content.is_empty() || content.len() > MAX_NOTICE_BYTES {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                format!("Content must be 1 to {MAX_NOTICE_BYTES} bytes"),
            ));
        }
        let notice = self.admin_notice(app, GROUP_NOTICE_CUSTOM, content);
        let changes = self
            .store()
            .group_admin
            .notify_members(app, group_id, users, notice)
            .await
            .map_err(|error| group_error(error, group_id, "send_group_system_notification"))?;
        self.publish_changes(app, &changes).await;
        Ok(())
    }

    /// `group_msg_get_simple`: up to `count` (at most 20) messages with a sequence at or below
    /// `up_to` (the newest when `None`), newest first; recalled ones only when asked. The flag is
    /// true when nothing older remains.
    pub async fn admin_group_messages(
        &self,
        app: AppId,
        group_id: &str,
        up_to: Option<u64>,
        count: u32,
        with_revoked: bool,
    ) -> ServiceResult<(Vec<StoredMessage>, bool)> {
        if count == 0 || count > MAX_GROUP_HISTORY {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                format!("ReqMsgNumber must be 1 to {MAX_GROUP_HISTORY}"),
            ));
        }
        self.existing_group_of(app, group_id).await?;
        let range = HistoryRange::Before(up_to.map(|seq| seq.saturating_add(1)));
        let mut page = self
            .store()
            .messages
            .history(app, &ConversationKey::group(group_id), range, count + 1)
            .await
            .map_err(|error| ServiceError::from_store("group_msg_get_simple", error, ErrorCode::GROUP_INTERNAL))?;
        let finished = page.len() <= count as usize;
        page.truncate(count as usize);
        page.retain(|message| with_revoked || !message.revoked);
        Ok((page, finished))
    }

    /// The app's administrator identifier.
    pub(crate) fn admin_identifier(&self, app: AppId) -> String {
        self.apps().get(app).map(|config| config.admin_identifier.clone()).unwrap_or_default()
    }

    fn admin_notice(&self, app: AppId, operation_type: u32, content: &str) -> GroupNoticeRecord {
        GroupNoticeRecord {
            operation_type,
            operator: self.admin_identifier(app),
            content: content.to_owned(),
            at_ms: now_ms(),
        }
    }

    /// 10019 unless every named account exists.
    async fn require_accounts(&self, app: AppId, users: Vec<String>) -> ServiceResult<()> {
        let existing = self.existing_accounts(app, users.clone()).await?;
        if let Some(missing) = users.iter().find(|user| !existing.contains(user)) {
            return Err(ServiceError::new(
                ErrorCode::GROUP_ACCOUNT_NOT_FOUND,
                format!("account {missing} does not exist"),
            ));
        }
        Ok(())
    }
}

fn check_count(field: &str, count: usize, max: usize) -> ServiceResult<()> {
    if count == 0 || count > max {
        return Err(ServiceError::new(
            ErrorCode::GROUP_INVALID_PARAMETER,
            format!("{field} has {count} accounts; 1 to {max}"),
        ));
    }
    Ok(())
}

fn group_error(error: StoreError, group_id: &str, operation: &str) -> ServiceError {
    match error {
        StoreError::NotFound(_) => {
            ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist"))
        }
        other => ServiceError::from_store(operation, other, ErrorCode::GROUP_INTERNAL),
    }
}
