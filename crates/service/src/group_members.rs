//! Group members through the SDK: reading the member list (paged, by role) and member profiles,
//! adding and removing members. Who may do what is `policy`'s; each removed member gets a system
//! notice (type 4) and a `groupLeft`, each added one a `groupJoined`, in the write that changes
//! the membership.

use mynah_proto::codes::ErrorCode;
use mynah_proto::group_management::{
    AddGroupMemberRequest, AddGroupMemberResult, DeleteGroupMemberRequest, DeleteGroupMemberResult,
    GetGroupMemberListRequest, GetGroupMemberProfileRequest, GroupMember, GroupMemberListResult,
};
use mynah_proto::objects::{GROUP_NOTICE_KICKED, MemberRole};
use mynah_proto::profiles::{TAG_IMAGE, TAG_NICK};
use mynah_store::{ChangeRecord, GroupNoticeRecord, MemberRecord, NewMember, StoreError};

use crate::error::{ServiceError, ServiceResult};
use crate::policy::{self, Actor, GroupAction};
use crate::{Service, Session, convert, now_ms, validate};

/// The default page of `getGroupMemberList` (the SDK's).
pub const DEFAULT_MEMBER_PAGE: u32 = 15;
/// The largest page of `getGroupMemberList`; larger asks are served as this (the SDK's cap).
pub const MAX_MEMBER_PAGE: u32 = 100;
/// The most members one `getGroupMemberProfile` looks up; the rest are dropped, as documented.
pub const MAX_MEMBER_PROFILES: usize = 50;
/// The most users one `addGroupMember` or `deleteGroupMember` takes (the SDK's documented 20).
pub const MAX_MEMBERS_PER_CHANGE: usize = 20;
/// The longest removal reason, in bytes (it travels in a system notice, like a notice's content).
pub const MAX_REASON_BYTES: usize = 1024;

impl Service {
    /// `getGroupMemberList`: a page of members ordered by userID, optionally of one role. The
    /// result's `offset` continues the list; 0 means this page is the last.
    pub async fn get_group_member_list(
        &self,
        session: &Session,
        request: GetGroupMemberListRequest,
    ) -> ServiceResult<GroupMemberListResult> {
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::ReadMembers)?;
        let count = request.count.unwrap_or(DEFAULT_MEMBER_PAGE).clamp(1, MAX_MEMBER_PAGE);
        let offset = request.offset.unwrap_or(0);
        // One more than the page tells whether another page follows, without counting.
        let mut page = self
            .store()
            .group_admin
            .member_page(session.app, &request.group_id, request.role, offset, count + 1)
            .await
            .map_err(|error| ServiceError::from_store("getGroupMemberList", error, ErrorCode::GROUP_INTERNAL))?;
        let more = page.len() > count as usize;
        page.truncate(count as usize);
        let next = if more { offset.saturating_add(count) } else { 0 };
        Ok(GroupMemberListResult { member_list: self.group_members(session, page).await?, offset: next })
    }

    /// `getGroupMemberProfile`: the named members, in the order named; names that are not members
    /// are left out, and only the first 50 names are looked up.
    pub async fn get_group_member_profile(
        &self,
        session: &Session,
        request: GetGroupMemberProfileRequest,
    ) -> ServiceResult<GroupMemberListResult> {
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::ReadMembers)?;
        let mut found = Vec::new();
        for user in request.user_id_list.iter().take(MAX_MEMBER_PROFILES) {
            if found.iter().any(|member: &MemberRecord| &member.user == user) {
                continue;
            }
            if let Some(member) = self.membership(session, &request.group_id, user).await? {
                found.push(member);
            }
        }
        Ok(GroupMemberListResult { member_list: self.group_members(session, found).await?, offset: 0 })
    }

    /// `addGroupMember`: adds existing accounts (at most 20); members already in are reported as
    /// existing. A user without an account fails the whole call (10019).
    pub async fn add_group_member(
        &self,
        session: &Session,
        request: AddGroupMemberRequest,
    ) -> ServiceResult<AddGroupMemberResult> {
        let invalid = ErrorCode::GROUP_INVALID_PARAMETER;
        check_list("userIDList", request.user_id_list.len())?;
        for user in &request.user_id_list {
            validate::user_id(user, invalid)?;
        }
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::AddMembers)?;
        // The SDK documents that every user to add must be an account, or the call fails with
        // 10019 (and adds nobody), as `createGroup`'s members.
        let existing = self.existing_accounts(session.app, request.user_id_list.clone()).await?;
        if let Some(missing) = request.user_id_list.iter().find(|user| !existing.contains(user)) {
            return Err(ServiceError::new(
                ErrorCode::GROUP_ACCOUNT_NOT_FOUND,
                format!("account {missing} does not exist"),
            ));
        }
        let now = now_ms();
        let joining: Vec<NewMember> = existing
            .iter()
            .map(|user| NewMember { user: user.clone(), role: MemberRole::Member, joined_at_ms: now })
            .collect();
        let (group, already) = if joining.is_empty() {
            (group, Vec::new())
        } else {
            let added =
                self.store().groups.add_members(session.app, &request.group_id, joining).await.map_err(|error| {
                    match error {
                        StoreError::GroupFull => {
                            ServiceError::new(ErrorCode::GROUP_FULL, format!("group {} is full", request.group_id))
                        }
                        StoreError::NotFound(_) => group_not_found(&request.group_id),
                        other => ServiceError::from_store("addGroupMember", other, ErrorCode::GROUP_INTERNAL),
                    }
                })?;
            self.publish_changes(session.app, &added.changes).await;
            (added.group, added.already_members)
        };
        let mut result = AddGroupMemberResult {
            success_user_id_list: Vec::new(),
            failure_user_id_list: Vec::new(),
            existed_user_id_list: Vec::new(),
            group: convert::group(&group, Some(&asker)),
        };
        for user in request.user_id_list {
            let list = if already.contains(&user) {
                &mut result.existed_user_id_list
            } else {
                &mut result.success_user_id_list
            };
            if !list.contains(&user) {
                list.push(user);
            }
        }
        Ok(result)
    }

    /// `deleteGroupMember`: removes members (at most 20) the asker's role may remove; each gets a
    /// system notice (type 4) with the reason. Names that are not members are skipped; the whole
    /// request is refused when the asker may not remove one of the named members.
    pub async fn delete_group_member(
        &self,
        session: &Session,
        request: DeleteGroupMemberRequest,
    ) -> ServiceResult<DeleteGroupMemberResult> {
        check_list("userIDList", request.user_id_list.len())?;
        validate::bounded("reason", &request.reason, MAX_REASON_BYTES, ErrorCode::GROUP_INVALID_PARAMETER)?;
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        let mut removing: Vec<String> = Vec::new();
        for user in &request.user_id_list {
            if user == &session.user {
                return Err(ServiceError::new(
                    ErrorCode::GROUP_INVALID_PARAMETER,
                    "deleteGroupMember cannot remove yourself; use quitGroup",
                ));
            }
            if let Some(target) = self.membership(session, &request.group_id, user).await? {
                let action = GroupAction::RemoveMember { target: target.role };
                policy::check(group.group_type, Actor::Member(asker.role), action)?;
                if !removing.contains(user) {
                    removing.push(user.clone());
                }
            }
        }
        if removing.is_empty() {
            return Ok(DeleteGroupMemberResult {
                user_id_list: Vec::new(),
                group: convert::group(&group, Some(&asker)),
            });
        }
        let notice = GroupNoticeRecord {
            operation_type: GROUP_NOTICE_KICKED,
            operator: session.user.clone(),
            content: request.reason,
            at_ms: now_ms(),
        };
        let changes =
            self.store().group_admin.remove_members(session.app, &request.group_id, removing, notice).await.map_err(
                |error| match error {
                    StoreError::NotFound(_) => group_not_found(&request.group_id),
                    other => ServiceError::from_store("deleteGroupMember", other, ErrorCode::GROUP_INTERNAL),
                },
            )?;
        self.publish_changes(session.app, &changes).await;
        let removed = changes
            .iter()
            .filter(|appended| matches!(appended.change, ChangeRecord::GroupLeft { .. }))
            .map(|appended| appended.user.clone())
            .collect();
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        Ok(DeleteGroupMemberResult { user_id_list: removed, group: convert::group(&group, Some(&asker)) })
    }

    /// One user's membership, `None` when not a member.
    async fn membership(&self, session: &Session, group_id: &str, user: &str) -> ServiceResult<Option<MemberRecord>> {
        self.store()
            .groups
            .get_member(session.app, group_id, user)
            .await
            .map_err(|error| ServiceError::from_store("group membership", error, ErrorCode::GROUP_INTERNAL))
    }

    /// One wire member, with its nick and avatar from its profile.
    pub(crate) async fn group_member(&self, session: &Session, member: MemberRecord) -> ServiceResult<GroupMember> {
        let mut members = self.group_members(session, vec![member]).await?;
        Ok(members.remove(0))
    }

    /// The wire members, with each one's nick and avatar from its profile (one read for all).
    async fn group_members(&self, session: &Session, members: Vec<MemberRecord>) -> ServiceResult<Vec<GroupMember>> {
        let users: Vec<String> = members.iter().map(|member| member.user.clone()).collect();
        let profiles = if users.is_empty() { Vec::new() } else { self.profile_records(session.app, users).await? };
        Ok(members
            .into_iter()
            .map(|member| {
                let profile = profiles.iter().find(|profile| profile.user == member.user);
                let text = |tag: &str| {
                    profile
                        .and_then(|profile| profile.fields.get(tag))
                        .and_then(|value| value.as_text())
                        .unwrap_or_default()
                        .to_owned()
                };
                GroupMember {
                    nick: text(TAG_NICK),
                    avatar: text(TAG_IMAGE),
                    user_id: member.user,
                    role: member.role,
                    join_time: member.joined_at_ms / 1000,
                    name_card: member.name_card,
                    // Seconds, as the SDK's `muteUntil`; a mute that has run out reads as none.
                    mute_until: if member.mute_until_ms > now_ms() { member.mute_until_ms / 1000 } else { 0 },
                }
            })
            .collect())
    }
}

fn check_list(field: &str, count: usize) -> ServiceResult<()> {
    if count == 0 || count > MAX_MEMBERS_PER_CHANGE {
        return Err(ServiceError::new(
            ErrorCode::GROUP_INVALID_PARAMETER,
            format!("{field} has {count} users; 1 to {MAX_MEMBERS_PER_CHANGE}"),
        ));
    }
    Ok(())
}

fn group_not_found(group_id: &str) -> ServiceError {
    ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist"))
}
