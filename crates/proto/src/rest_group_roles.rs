//! REST bodies of `group_open_http_svc` for ownership, roles and mutes: `change_group_owner`,
//! `get_role_in_group`, `forbid_send_msg` and `get_group_muted_account`, with Tencent's field names.

use serde::{Deserialize, Serialize};

/// `v4/group_open_http_svc/change_group_owner`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeGroupOwnerRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    /// A member of the group.
    #[serde(rename = "NewOwner_Account", default)]
    pub new_owner_account: Option<String>,
}

/// `v4/group_open_http_svc/get_role_in_group`: up to 500 users.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetRoleInGroupRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "User_Account", default)]
    pub user_account: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetRoleInGroupResponse {
    #[serde(rename = "UserIdList")]
    pub user_id_list: Vec<UserRole>,
}

/// One user of `get_role_in_group`: `Role` is `Owner`, `Admin`, `Member` or [`NOT_MEMBER`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRole {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    #[serde(rename = "Role")]
    pub role: String,
}

/// The `Role` of a user who is not a member.
pub const NOT_MEMBER: &str = "NotMember";

/// `v4/group_open_http_svc/forbid_send_msg`: up to 500 members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ForbidSendMsgRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "Members_Account", default)]
    pub members_account: Vec<String>,
    /// Seconds from now, a uint32; 0 unmutes. Older documentation calls it `ShutUpTime`.
    #[serde(rename = "MuteTime", alias = "ShutUpTime", default)]
    pub mute_time: Option<u64>,
}

/// `v4/group_open_http_svc/get_group_muted_account` (formerly `get_group_shutted_uin`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetGroupMutedAccountRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetGroupMutedAccountResponse {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "ShuttedUinList")]
    pub shutted_uin_list: Vec<MutedMember>,
}

/// A member muted now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MutedMember {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    /// Unix seconds when the mute ends.
    #[serde(rename = "ShuttedUntil")]
    pub shutted_until: u64,
}
