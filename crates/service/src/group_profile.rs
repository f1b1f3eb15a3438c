//! Edits of a group through the SDK: its profile (`updateGroupProfile`), a member's role
//! (`setGroupMemberRole`), mute (`setGroupMemberMuteTime`) or name card (`setGroupMemberNameCard`),
//! and its owner (`changeGroupOwner`). Who may make them is `policy`'s;
//! everyone whose view of the group changed gets a `groupUpdated` change from the same write.

use mynah_proto::codes::ErrorCode;
use mynah_proto::group_management::{
    ChangeGroupOwnerRequest, GroupMemberResult, SetGroupMemberMuteTimeRequest, SetGroupMemberNameCardRequest,
    SetGroupMemberRoleRequest, UpdateGroupProfileRequest,
};
use mynah_proto::objects::{Group, MemberRole};
use mynah_store::{GroupEdit, GroupEdited, StoreError};

use crate::error::{ServiceError, ServiceResult};
use crate::policy::{self, Actor, GroupAction};
use crate::validate::{self, MAX_AVATAR_BYTES, MAX_GROUP_NAME_BYTES, MAX_GROUP_TEXT_BYTES};

/// The longest name card, in bytes (Tencent's limit for `NameCard`).
pub const MAX_NAME_CARD_BYTES: usize = 50;
use crate::{Service, Session, convert, now_ms};

impl Service {
    /// `updateGroupProfile`: changes the named fields. Name, introduction, notification and avatar
    /// need `EditProfile`; the join option `SetJoinOption` (Public groups only).
    pub async fn update_group_profile(
        &self,
        session: &Session,
        request: UpdateGroupProfileRequest,
    ) -> ServiceResult<Group> {
        let invalid = ErrorCode::GROUP_INVALID_PARAMETER;
        let UpdateGroupProfileRequest { group_id, name, introduction, notification, avatar, join_option } = request;
        if let Some(name) = &name {
            if name.is_empty() {
                return Err(ServiceError::new(invalid, "a group needs a name"));
            }
            validate::bounded("name", name, MAX_GROUP_NAME_BYTES, invalid)?;
        }
        if let Some(introduction) = &introduction {
            validate::bounded("introduction", introduction, MAX_GROUP_TEXT_BYTES, invalid)?;
        }
        if let Some(notification) = &notification {
            validate::bounded("notification", notification, MAX_GROUP_TEXT_BYTES, invalid)?;
        }
        if let Some(avatar) = &avatar {
            validate::bounded("avatar", avatar, MAX_AVATAR_BYTES, invalid)?;
        }
        let edits_profile = name.is_some() || introduction.is_some() || notification.is_some() || avatar.is_some();
        if !edits_profile && join_option.is_none() {
            return Err(ServiceError::new(invalid, "nothing to update"));
        }
        let asker = self.require_member(session, &group_id).await?;
        let group = self.existing_group_of(session.app, &group_id).await?;
        if edits_profile {
            policy::check(group.group_type, Actor::Member(asker.role), GroupAction::EditProfile)?;
        }
        if join_option.is_some() {
            policy::check(group.group_type, Actor::Member(asker.role), GroupAction::SetJoinOption)?;
        }
        let edit = GroupEdit { name, introduction, notification, avatar, join_option };
        let edited = self.store().group_admin.edit_group(session.app, &group_id, edit).await;
        let edited = self.edited("updateGroupProfile", &group_id, edited)?;
        self.publish_changes(session.app, &edited.changes).await;
        Ok(convert::group(&edited.group, Some(&asker)))
    }

    /// `setGroupMemberRole`: makes a member an admin or an ordinary member (the owner only; not in
    /// work groups, 2682).
    pub async fn set_group_member_role(
        &self,
        session: &Session,
        request: SetGroupMemberRoleRequest,
    ) -> ServiceResult<GroupMemberResult> {
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        let target = self.required_target(session, &request.group_id, &request.user_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::SetRole { target: target.role })?;
        if request.role == MemberRole::Owner {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                "the owner changes only by changeGroupOwner",
            ));
        }
        let edited = self
            .store()
            .group_admin
            .set_member_role(session.app, &request.group_id, &request.user_id, request.role)
            .await;
        let edited = self.edited("setGroupMemberRole", &request.group_id, edited)?;
        self.publish_changes(session.app, &edited.changes).await;
        let member = self.required_target(session, &request.group_id, &request.user_id).await?;
        Ok(GroupMemberResult {
            group: convert::group(&edited.group, Some(&asker)),
            member: self.group_member(session, member).await?,
        })
    }

    /// `setGroupMemberMuteTime`: mutes a member for `muteTime` seconds from now, 0 unmutes (the
    /// owner mutes admins and members, an admin members; not in work groups). A muted member's
    /// sends fail with 10017 until then.
    pub async fn set_group_member_mute_time(
        &self,
        session: &Session,
        request: SetGroupMemberMuteTimeRequest,
    ) -> ServiceResult<GroupMemberResult> {
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        let target = self.required_target(session, &request.group_id, &request.user_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::Mute { target: target.role })?;
        let until_ms = if request.mute_time == 0 { 0 } else { now_ms() + u64::from(request.mute_time) * 1000 };
        let edited =
            self.store().group_admin.mute_member(session.app, &request.group_id, &request.user_id, until_ms).await;
        let edited = self.edited("setGroupMemberMuteTime", &request.group_id, edited)?;
        self.publish_changes(session.app, &edited.changes).await;
        let member = self.required_target(session, &request.group_id, &request.user_id).await?;
        Ok(GroupMemberResult {
            group: convert::group(&edited.group, Some(&asker)),
            member: self.group_member(session, member).await?,
        })
    }

    /// `setGroupMemberNameCard`: a member's name card (the asker's own when no user is named): the
    /// owner sets anyone's, an admin its own and ordinary members', a member only its own. Messages
    /// the member sends afterwards carry it (`nameCard`).
    pub async fn set_group_member_name_card(
        &self,
        session: &Session,
        request: SetGroupMemberNameCardRequest,
    ) -> ServiceResult<GroupMemberResult> {
        validate::bounded("nameCard", &request.name_card, MAX_NAME_CARD_BYTES, ErrorCode::GROUP_INVALID_PARAMETER)?;
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        let user = request.user_id.filter(|user| !user.is_empty()).unwrap_or_else(|| session.user.clone());
        let target = if user == session.user {
            None
        } else {
            Some(self.required_target(session, &request.group_id, &user).await?.role)
        };
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::SetNameCard { target })?;
        let edited =
            self.store().group_admin.set_name_card(session.app, &request.group_id, &user, &request.name_card).await;
        let edited = self.edited("setGroupMemberNameCard", &request.group_id, edited)?;
        self.publish_changes(session.app, &edited.changes).await;
        let member = self.required_target(session, &request.group_id, &user).await?;
        let asker = if user == session.user { member.clone() } else { asker };
        Ok(GroupMemberResult {
            group: convert::group(&edited.group, Some(&asker)),
            member: self.group_member(session, member).await?,
        })
    }

    /// `changeGroupOwner`: hands the group to another member (the owner only; not a live room).
    /// The old owner becomes an ordinary member.
    pub async fn change_group_owner(
        &self,
        session: &Session,
        request: ChangeGroupOwnerRequest,
    ) -> ServiceResult<Group> {
        let asker = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group_of(session.app, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(asker.role), GroupAction::TransferOwnership)?;
        if request.new_owner_id == session.user {
            return Err(ServiceError::new(ErrorCode::GROUP_INVALID_PARAMETER, "you own the group already"));
        }
        self.required_target(session, &request.group_id, &request.new_owner_id).await?;
        let edited = self.store().group_admin.change_owner(session.app, &request.group_id, &request.new_owner_id).await;
        let edited = self.edited("changeGroupOwner", &request.group_id, edited)?;
        self.publish_changes(session.app, &edited.changes).await;
        let asker = self.require_member(session, &request.group_id).await?;
        Ok(convert::group(&edited.group, Some(&asker)))
    }

    /// The membership of the user an operation acts on; 10004 when that user is not a member.
    async fn required_target(
        &self,
        session: &Session,
        group_id: &str,
        user: &str,
    ) -> ServiceResult<mynah_store::MemberRecord> {
        self.store()
            .groups
            .get_member(session.app, group_id, user)
            .await
            .map_err(|error| ServiceError::from_store("group membership", error, ErrorCode::GROUP_INTERNAL))?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::GROUP_INVALID_PARAMETER,
                    format!("{user} is not a member of group {group_id}"),
                )
            })
    }

    /// A store edit's outcome as the client sees it: a group that vanished is 10010, a target that
    /// left meanwhile 10004.
    pub(crate) fn edited(
        &self,
        operation: &str,
        group_id: &str,
        edited: Result<GroupEdited, StoreError>,
    ) -> ServiceResult<GroupEdited> {
        edited.map_err(|error| match error {
            StoreError::NotFound(_) => {
                ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist"))
            }
            StoreError::NotMember(what) => {
                ServiceError::new(ErrorCode::GROUP_INVALID_PARAMETER, format!("not a member: {what}"))
            }
            other => ServiceError::from_store(operation, other, ErrorCode::GROUP_INTERNAL),
        })
    }
}
