//! REST bodies of `group_open_http_svc`: groups, members, group messages and system notices, with
//! Tencent's field names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::elements::MsgElement;

/// `IsPlaceMsg` of a recalled message in `group_msg_get_simple` (the official SDK reads 2 as revoked).
pub const PLACE_MSG_REVOKED: u32 = 2;

/// `v4/group_open_http_svc/create_group`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateGroupRequest {
    /// The owner; the administrator when absent (Mynah; Tencent makes an ownerless group).
    #[serde(rename = "Owner_Account", default)]
    pub owner_account: Option<String>,
    #[serde(rename = "Type", default)]
    pub group_type: Option<String>,
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    #[serde(rename = "Introduction", default)]
    pub introduction: String,
    #[serde(rename = "Notification", default)]
    pub notification: String,
    #[serde(rename = "FaceUrl", default)]
    pub face_url: String,
    #[serde(rename = "MaxMemberCount", alias = "MaxMemberNum", default)]
    pub max_member_count: Option<u32>,
    #[serde(rename = "ApplyJoinOption", default)]
    pub apply_join_option: Option<String>,
    #[serde(rename = "MemberList", default)]
    pub member_list: Vec<NewMemberItem>,
}

/// A member named in `create_group` or `add_group_member`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewMemberItem {
    #[serde(rename = "Member_Account", default)]
    pub member_account: String,
    /// `Admin` or `Member` (`create_group` only).
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateGroupResponse {
    #[serde(rename = "GroupId")]
    pub group_id: String,
}

/// `v4/group_open_http_svc/get_group_info`: up to 50 groups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetGroupInfoRequest {
    #[serde(rename = "GroupIdList", default)]
    pub group_id_list: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetGroupInfoResponse {
    #[serde(rename = "GroupInfo")]
    pub group_info: Vec<GroupInfo>,
}

/// One group of `get_group_info` (and of `get_joined_group_list`). A group that could not be read
/// has only `GroupId`, `ErrorCode` and `ErrorInfo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "ErrorCode", default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    #[serde(rename = "ErrorInfo", default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<String>,
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Appid", default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
    #[serde(rename = "Introduction", default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    #[serde(rename = "Notification", default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    #[serde(rename = "FaceUrl", default, skip_serializing_if = "Option::is_none")]
    pub face_url: Option<String>,
    #[serde(rename = "Owner_Account", default, skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<String>,
    #[serde(rename = "CreateTime", default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
    #[serde(rename = "NextMsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub next_msg_seq: Option<u64>,
    #[serde(rename = "MemberNum", default, skip_serializing_if = "Option::is_none")]
    pub member_num: Option<u32>,
    #[serde(rename = "MaxMemberNum", default, skip_serializing_if = "Option::is_none")]
    pub max_member_num: Option<u32>,
    #[serde(rename = "ApplyJoinOption", default, skip_serializing_if = "Option::is_none")]
    pub apply_join_option: Option<String>,
    #[serde(rename = "ShutUpAllMember", default, skip_serializing_if = "Option::is_none")]
    pub shut_up_all_member: Option<String>,
    #[serde(rename = "MemberList", default, skip_serializing_if = "Option::is_none")]
    pub member_list: Option<Vec<MemberInfo>>,
    /// `get_joined_group_list` with a `SelfInfoFilter`: the asked member's own membership.
    #[serde(rename = "SelfInfo", default, skip_serializing_if = "Option::is_none")]
    pub self_info: Option<MemberInfo>,
}

/// A member as `get_group_info` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    #[serde(rename = "Member_Account", default, skip_serializing_if = "Option::is_none")]
    pub member_account: Option<String>,
    #[serde(rename = "Role")]
    pub role: String,
    /// Unix seconds.
    #[serde(rename = "JoinTime")]
    pub join_time: u64,
    #[serde(rename = "MsgFlag")]
    pub msg_flag: String,
}

/// `v4/group_open_http_svc/add_group_member`: up to 300 members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AddGroupMemberRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "Silence", default)]
    pub silence: Option<u32>,
    #[serde(rename = "MemberList", default)]
    pub member_list: Vec<NewMemberItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddGroupMemberResponse {
    #[serde(rename = "MemberList")]
    pub member_list: Vec<MemberResult>,
}

/// A member's outcome in `add_group_member`: `Result` 0 failed, 1 added, 2 already a member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberResult {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    #[serde(rename = "Result")]
    pub result: u32,
}

/// `v4/group_open_http_svc/delete_group_member`: up to 100 members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeleteGroupMemberRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "Silence", default)]
    pub silence: Option<u32>,
    #[serde(rename = "Reason", default)]
    pub reason: String,
    #[serde(rename = "MemberToDel_Account", default)]
    pub member_to_del_account: Vec<String>,
}

/// `v4/group_open_http_svc/destroy_group`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DestroyGroupRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
}

/// `v4/group_open_http_svc/get_joined_group_list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetJoinedGroupListRequest {
    #[serde(rename = "Member_Account", default)]
    pub member_account: Option<String>,
    #[serde(rename = "Limit", default)]
    pub limit: Option<u32>,
    #[serde(rename = "Offset", default)]
    pub offset: Option<u32>,
    /// Only groups of this type.
    #[serde(rename = "GroupType", default)]
    pub group_type: Option<String>,
    #[serde(rename = "ResponseFilter", default)]
    pub response_filter: Option<ResponseFilter>,
}

/// Which fields `get_joined_group_list` reports besides `GroupId`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseFilter {
    #[serde(rename = "GroupBaseInfoFilter", default)]
    pub group_base_info_filter: Vec<String>,
    #[serde(rename = "SelfInfoFilter", default)]
    pub self_info_filter: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetJoinedGroupListResponse {
    #[serde(rename = "TotalCount")]
    pub total_count: u32,
    #[serde(rename = "GroupIdList")]
    pub group_id_list: Vec<GroupInfo>,
}

/// `v4/group_open_http_svc/send_group_msg`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SendGroupMsgRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    /// A uint32, part of the deduplication key. Required.
    #[serde(rename = "Random", default)]
    pub random: Option<u64>,
    /// `High`, `Normal`, `Low` or `Lowest`.
    #[serde(rename = "MsgPriority", default)]
    pub msg_priority: Option<String>,
    /// The sender; the administrator when absent.
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Option<Value>,
    /// 1: online members only, never stored.
    #[serde(rename = "MsgOnlineOnlyFlag", default)]
    pub msg_online_only_flag: Option<u32>,
    /// `NoUnread`, `NoLastMsg`.
    #[serde(rename = "SendMsgControl", default)]
    pub send_msg_control: Vec<String>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    /// The members a targeted message is meant for. Targeted messages are not served yet, so a
    /// request naming any is refused (10004) rather than delivered to the whole group.
    #[serde(rename = "To_Account", default)]
    pub to_account: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendGroupMsgResponse {
    /// Unix seconds.
    #[serde(rename = "MsgTime")]
    pub msg_time: u64,
    /// The message's sequence in the group (0 for online-only messages).
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
}

/// `v4/group_open_http_svc/send_group_system_notification`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SendGroupSystemNotificationRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    /// The members to notify (at most 500); every member when empty.
    #[serde(rename = "ToMembers_Account", default)]
    pub to_members_account: Vec<String>,
    #[serde(rename = "Content", default)]
    pub content: Option<String>,
}

/// `v4/group_open_http_svc/group_msg_recall`: up to 10 messages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgRecallRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    #[serde(rename = "MsgSeqList", default)]
    pub msg_seq_list: Vec<MsgSeqItem>,
    #[serde(rename = "Reason", default)]
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MsgSeqItem {
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgRecallResponse {
    #[serde(rename = "RecallRetList")]
    pub recall_ret_list: Vec<RecallResult>,
}

/// A message's outcome in `group_msg_recall`: `RetCode` 0 recalled, 10030 no such message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecallResult {
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "RetCode")]
    pub ret_code: u32,
}

/// `v4/group_open_http_svc/group_msg_get_simple`: up to 20 messages at or below `ReqMsgSeq`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleRequest {
    #[serde(rename = "GroupId", default)]
    pub group_id: Option<String>,
    /// The newest sequence to return; the group's newest when absent.
    #[serde(rename = "ReqMsgSeq", default)]
    pub req_msg_seq: Option<u64>,
    #[serde(rename = "ReqMsgNumber", default)]
    pub req_msg_number: Option<u32>,
    /// 1: include recalled messages (with `IsPlaceMsg` 2 and no body).
    #[serde(rename = "WithRecalledMsg", default)]
    pub with_recalled_msg: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMsgGetSimpleResponse {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// 1 when nothing older remains.
    #[serde(rename = "IsFinished")]
    pub is_finished: u32,
    /// Newest first.
    #[serde(rename = "RspMsgList")]
    pub rsp_msg_list: Vec<GroupMessageItem>,
}

/// One message of `group_msg_get_simple`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMessageItem {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    /// 0 normal, [`PLACE_MSG_REVOKED`] recalled.
    #[serde(rename = "IsPlaceMsg")]
    pub is_place_msg: u32,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "MsgPriority")]
    pub msg_priority: u32,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "MsgTimeStamp")]
    pub msg_time_stamp: u64,
    #[serde(rename = "CloudCustomData")]
    pub cloud_custom_data: String,
}
