//! Groups: create, join, quit, dismiss, list, profile. Membership changes reach each affected user as a
//! `groupJoined` / `groupLeft` change.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{Group, GroupType, JoinOption, MemberRole};
use mynah_proto::requests::{CreateGroupRequest, GroupListResult, GroupRequest, JoinGroupResult, JoinStatus};
use mynah_store::{NewGroup, NewMember, StoreError};
use rand::Rng;

use crate::error::{ServiceError, ServiceResult};
use crate::policy::{self, Actor, GroupAction};
use crate::validate::{self, MAX_AVATAR_BYTES, MAX_GROUP_NAME_BYTES, MAX_GROUP_TEXT_BYTES, MAX_INITIAL_MEMBERS};
use crate::{Service, Session, convert, now_ms};

impl Service {
    /// Creates a group owned by the session's user, with its initial members.
    pub async fn create_group(&self, session: &Session, request: CreateGroupRequest) -> ServiceResult<Group> {
        let invalid = ErrorCode::GROUP_INVALID_PARAMETER;
        if matches!(request.group_type, GroupType::AVChatRoom | GroupType::Community) {
            return Err(ServiceError::new(
                ErrorCode::GROUP_TYPE_UNSUPPORTED,
                format!("{} groups are not supported by this server yet", request.group_type.as_str()),
            ));
        }
        if request.name.is_empty() {
            return Err(ServiceError::new(invalid, "a group needs a name"));
        }
        validate::bounded("name", &request.name, MAX_GROUP_NAME_BYTES, invalid)?;
        validate::bounded("introduction", &request.introduction, MAX_GROUP_TEXT_BYTES, invalid)?;
        validate::bounded("notification", &request.notification, MAX_GROUP_TEXT_BYTES, invalid)?;
        validate::bounded("avatar", &request.avatar, MAX_AVATAR_BYTES, invalid)?;
        if request.member_list.len() > MAX_INITIAL_MEMBERS {
            return Err(ServiceError::new(
                invalid,
                format!("memberList has {} members, over {MAX_INITIAL_MEMBERS}", request.member_list.len()),
            ));
        }
        let group_id = match &request.group_id {
            Some(group_id) => {
                validate::custom_group_id(group_id)?;
                group_id.clone()
            }
            None => generated_group_id(),
        };
        let type_cap = request.group_type.default_max_member_num();
        let max_member_num = match request.max_member_num {
            None | Some(0) => type_cap,
            Some(asked) if type_cap == 0 || asked <= type_cap => asked,
            Some(asked) => {
                return Err(ServiceError::new(
                    invalid,
                    format!("maxMemberNum {asked} is over the type's cap {type_cap}"),
                ));
            }
        };
        let fixed_join_option = request.group_type.default_join_option();
        let join_option = match request.join_option {
            None => fixed_join_option,
            Some(asked) if request.group_type.join_option_settable() => asked,
            // Work groups take members by invitation only; meeting groups are open to all. The
            // SDK documents that these types must not name a join option; naming their own is
            // harmless, naming another would be silently ignored, so it is refused.
            Some(asked) if asked == fixed_join_option => asked,
            Some(asked) => {
                return Err(ServiceError::new(
                    invalid,
                    format!("joinOption {} cannot be set for {} groups", asked.as_str(), request.group_type.as_str()),
                ));
            }
        };

        let now = now_ms();
        let mut members = vec![NewMember { user: session.user.clone(), role: MemberRole::Owner, joined_at_ms: now }];
        for initial in &request.member_list {
            validate::user_id(&initial.user_id, invalid)?;
            if members.iter().any(|member| member.user == initial.user_id) {
                continue;
            }
            let role = match (initial.role, request.group_type) {
                (Some(MemberRole::Admin), GroupType::Public | GroupType::Meeting) => MemberRole::Admin,
                _ => MemberRole::Member,
            };
            members.push(NewMember { user: initial.user_id.clone(), role, joined_at_ms: now });
        }
        // Initial members must have accounts, as REST `create_group` requires (10019); the creator
        // has one from its login.
        let invited: Vec<String> = members.iter().skip(1).map(|member| member.user.clone()).collect();
        if !invited.is_empty() {
            let existing = self.existing_accounts(session.app, invited.clone()).await?;
            if let Some(missing) = invited.iter().find(|user| !existing.contains(user)) {
                return Err(ServiceError::new(
                    ErrorCode::GROUP_ACCOUNT_NOT_FOUND,
                    format!("account {missing} does not exist"),
                ));
            }
        }
        if max_member_num != 0 && members.len() > max_member_num as usize {
            return Err(ServiceError::new(
                ErrorCode::GROUP_FULL,
                format!("{} members exceed maxMemberNum {max_member_num}", members.len()),
            ));
        }

        let new_group = NewGroup {
            app: session.app,
            group_id: group_id.clone(),
            group_type: request.group_type,
            name: request.name,
            owner: session.user.clone(),
            created_at_ms: now,
            max_member_num,
            join_option,
            introduction: request.introduction,
            notification: request.notification,
            avatar: request.avatar,
        };
        let created = self.store().groups.create_group(new_group, members).await.map_err(|error| match error {
            StoreError::AlreadyExists(_) => {
                ServiceError::new(ErrorCode::GROUP_ID_IN_USE, format!("group ID {group_id} is already used"))
            }
            other => ServiceError::from_store("createGroup", other, ErrorCode::GROUP_INTERNAL),
        })?;
        self.publish_changes(session.app, &created.changes).await;
        let owner = self.member_of(session, &group_id).await?;
        Ok(convert::group(&created.group, owner.as_ref()))
    }

    /// Joins a group that admits members freely.
    pub async fn join_group(&self, session: &Session, request: GroupRequest) -> ServiceResult<JoinGroupResult> {
        let group = self.existing_group(session, &request.group_id).await?;
        if let Some(member) = self.member_of(session, &request.group_id).await? {
            return Ok(JoinGroupResult {
                status: JoinStatus::AlreadyInGroup,
                group: convert::group(&group, Some(&member)),
            });
        }
        match (group.group_type, group.join_option) {
            (GroupType::Work, _) => {
                return Err(ServiceError::new(
                    ErrorCode::GROUP_NO_PERMISSION,
                    "work groups take members by invitation only",
                ));
            }
            (_, JoinOption::DisableApply) => {
                return Err(ServiceError::new(
                    ErrorCode::GROUP_NO_PERMISSION,
                    "this group does not accept applications",
                ));
            }
            (_, JoinOption::NeedPermission) => {
                return Err(ServiceError::new(
                    ErrorCode::GROUP_NO_PERMISSION,
                    "this group needs approval to join, and this server does not handle join applications yet",
                ));
            }
            (_, JoinOption::FreeAccess) => {}
        }
        let member = NewMember { user: session.user.clone(), role: MemberRole::Member, joined_at_ms: now_ms() };
        let added =
            self.store().groups.add_members(session.app, &request.group_id, vec![member]).await.map_err(|error| {
                match error {
                    StoreError::GroupFull => {
                        ServiceError::new(ErrorCode::GROUP_FULL, format!("group {} is full", request.group_id))
                    }
                    StoreError::NotFound(_) => ServiceError::new(
                        ErrorCode::GROUP_NOT_FOUND,
                        format!("group {} does not exist", request.group_id),
                    ),
                    other => ServiceError::from_store("joinGroup", other, ErrorCode::GROUP_INTERNAL),
                }
            })?;
        self.publish_changes(session.app, &added.changes).await;
        let membership = self.member_of(session, &request.group_id).await?;
        Ok(JoinGroupResult { status: JoinStatus::Joined, group: convert::group(&added.group, membership.as_ref()) })
    }

    /// Leaves a group. The owner may leave only a work group, which is then without an owner
    /// (`policy`); other owners transfer or dismiss the group instead.
    pub async fn quit_group(&self, session: &Session, request: GroupRequest) -> ServiceResult<()> {
        let member = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group(session, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(member.role), GroupAction::Quit)?;
        let left = self
            .store()
            .groups
            .remove_member(session.app, &request.group_id, &session.user)
            .await
            .map_err(|error| ServiceError::from_store("quitGroup", error, ErrorCode::GROUP_INTERNAL))?;
        if let Some(change) = left {
            self.publish_changes(session.app, &[change]).await;
        }
        Ok(())
    }

    /// Dismisses a group: only its owner, and never a work group (`policy`). Every member learns
    /// it (`groupDismissed`, the SDK's system notice type 5) from the write that deletes it.
    pub async fn dismiss_group(&self, session: &Session, request: GroupRequest) -> ServiceResult<()> {
        let member = self.require_member(session, &request.group_id).await?;
        let group = self.existing_group(session, &request.group_id).await?;
        policy::check(group.group_type, Actor::Member(member.role), GroupAction::Dismiss)?;
        let changes = self
            .store()
            .group_admin
            .dismiss_group(session.app, &request.group_id, &session.user, now_ms())
            .await
            .map_err(|error| match error {
                StoreError::NotFound(_) => {
                    ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {} does not exist", request.group_id))
                }
                other => ServiceError::from_store("dismissGroup", other, ErrorCode::GROUP_INTERNAL),
            })?;
        self.publish_changes(session.app, &changes).await;
        Ok(())
    }

    /// The groups the user is a member of.
    pub async fn get_group_list(&self, session: &Session) -> ServiceResult<GroupListResult> {
        let groups = self
            .store()
            .groups
            .groups_of_user(session.app, &session.user)
            .await
            .map_err(|error| ServiceError::from_store("getGroupList", error, ErrorCode::GROUP_INTERNAL))?;
        Ok(GroupListResult {
            group_list: groups.iter().map(|(group, member)| convert::group(group, Some(member))).collect(),
        })
    }

    /// A group's profile. Work groups show it to members only; other types to anyone in the app.
    pub async fn get_group_profile(&self, session: &Session, request: GroupRequest) -> ServiceResult<Group> {
        let group = self.existing_group(session, &request.group_id).await?;
        let membership = self.member_of(session, &request.group_id).await?;
        if group.group_type == GroupType::Work && membership.is_none() {
            return Err(ServiceError::new(ErrorCode::GROUP_NO_PERMISSION, "only members can see a work group"));
        }
        Ok(convert::group(&group, membership.as_ref()))
    }

    async fn existing_group(&self, session: &Session, group_id: &str) -> ServiceResult<mynah_store::GroupRecord> {
        self.existing_group_of(session.app, group_id).await
    }

    async fn member_of(&self, session: &Session, group_id: &str) -> ServiceResult<Option<mynah_store::MemberRecord>> {
        self.store()
            .groups
            .get_member(session.app, group_id, &session.user)
            .await
            .map_err(|error| ServiceError::from_store("group membership", error, ErrorCode::GROUP_INTERNAL))
    }
}

/// A server-made group ID in Tencent's style: `@TGS#` and ten characters.
fn generated_group_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut random = rand::rng();
    let suffix: String = (0..10).map(|_| ALPHABET[random.random_range(0..ALPHABET.len())] as char).collect();
    format!("@TGS#{suffix}")
}
