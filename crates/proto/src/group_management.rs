//! Group management over the WebSocket protocol: the `GroupMember` object, and the requests and
//! results of dismissing a group, editing its profile, transferring it, and reading, adding,
//! removing and promoting its members.
//!
//! Field names follow the official SDK's options and results (`userIDList`, `memberList`,
//! `successUserIDList`, ...).

use serde::{Deserialize, Serialize};

use crate::objects::{Group, JoinOption, MemberRole};

/// A member of a group, the SDK's `GroupMember`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    #[serde(rename = "userID")]
    pub user_id: String,
    pub role: MemberRole,
    /// Unix seconds.
    pub join_time: u64,
    /// The member's profile nick (`Tag_Profile_IM_Nick`), empty when none.
    #[serde(default)]
    pub nick: String,
    /// The member's profile avatar (`Tag_Profile_IM_Image`), empty when none.
    #[serde(default)]
    pub avatar: String,
    /// The member's name card in the group (empty: none).
    #[serde(default)]
    pub name_card: String,
    /// Unix seconds until which the member is muted; 0 (or a past time) when not muted.
    #[serde(default)]
    pub mute_until: u64,
}

/// `getGroupMemberList`: one page of members, ordered by userID, optionally of one role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetGroupMemberListRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(default)]
    pub role: Option<MemberRole>,
    /// Default 15; at most 100 (more is served as 100, as Tencent does).
    #[serde(default)]
    pub count: Option<u32>,
    /// How many members (of the role) to skip; default 0.
    #[serde(default)]
    pub offset: Option<u32>,
}

/// The members of a page or a lookup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberListResult {
    pub member_list: Vec<GroupMember>,
    /// The `offset` of the next page; 0 when this page is the last.
    #[serde(default)]
    pub offset: u32,
}

/// `getGroupMemberProfile`: the named members (at most 50 are looked up; the rest are dropped, as
/// the SDK documents). Names that are not members are left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetGroupMemberProfileRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// `addGroupMember`: at most 20 users per call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddGroupMemberRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
}

/// What `addGroupMember` did with each user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddGroupMemberResult {
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<String>,
    /// Users that could not be added. Always empty here: a user without an account fails the
    /// whole call (10019), as the SDK documents.
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<String>,
    #[serde(rename = "existedUserIDList")]
    pub existed_user_id_list: Vec<String>,
    pub group: Group,
}

/// `deleteGroupMember`: at most 20 users per call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteGroupMemberRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// Shown to the removed members in their system notice.
    #[serde(default)]
    pub reason: String,
}

/// The removed members (those that were members) and the group after the removal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteGroupMemberResult {
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    pub group: Group,
}

/// `updateGroupProfile`: the fields to change; absent ones keep their values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateGroupProfileRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub introduction: Option<String>,
    #[serde(default)]
    pub notification: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    /// Public groups only: the other types' join option is fixed.
    #[serde(default)]
    pub join_option: Option<JoinOption>,
}

/// `setGroupMemberRole`: `Admin` or `Member`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetGroupMemberRoleRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userID")]
    pub user_id: String,
    pub role: MemberRole,
}

/// A group and one of its members after a change to that member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberResult {
    pub group: Group,
    pub member: GroupMember,
}

/// `changeGroupOwner`: the new owner must be a member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeGroupOwnerRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "newOwnerID")]
    pub new_owner_id: String,
}

/// `setGroupMemberMuteTime`: mutes a member for `muteTime` seconds from now; 0 unmutes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetGroupMemberMuteTimeRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userID")]
    pub user_id: String,
    pub mute_time: u32,
}

/// `setGroupMemberNameCard`: a member's name card (the asker's own when `userID` is absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetGroupMemberNameCardRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "userID", default)]
    pub user_id: Option<String>,
    pub name_card: String,
}
