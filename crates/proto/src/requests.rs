//! The typed body of every request operation, and of its result.
//!
//! Each operation is a variant of [`Request`]; its `op` string is the variant name in camelCase.
//! Results are plain structs; a request that succeeds with nothing to say returns [`Empty`].

use serde::{Deserialize, Serialize};

use crate::codes::KickReason;
use crate::elements::MsgElement;
use crate::group_management::{
    AddGroupMemberRequest, ChangeGroupOwnerRequest, DeleteGroupMemberRequest, GetGroupMemberListRequest,
    GetGroupMemberProfileRequest, SetGroupMemberMuteTimeRequest, SetGroupMemberNameCardRequest,
    SetGroupMemberRoleRequest, UpdateGroupProfileRequest,
};
use crate::ids::ConversationType;
use crate::objects::{ChangeEntry, Conversation, Group, GroupType, JoinOption, MemberRole, Message, MessagePriority};
use crate::profiles::{GetUserProfileRequest, UpdateMyProfileRequest};

/// Every request a client can make. Serialized as `{"op": "<camelCase name>", "data": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "data", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Request {
    Login(LoginRequest),
    Logout(Empty),
    Heartbeat(Empty),
    SendMessage(SendMessageRequest),
    GetMessageList(GetMessageListRequest),
    FindMessage(FindMessageRequest),
    SetMessageRead(SetMessageReadRequest),
    PinConversation(PinConversationRequest),
    SetConversationCustomData(SetConversationCustomDataRequest),
    MarkConversation(MarkConversationRequest),
    GetConversationList(Empty),
    GetConversation(ConversationRequest),
    GetTotalUnreadMessageCount(Empty),
    Sync(SyncRequest),
    CreateGroup(CreateGroupRequest),
    JoinGroup(GroupRequest),
    QuitGroup(GroupRequest),
    GetGroupList(Empty),
    GetGroupProfile(GroupRequest),
    DismissGroup(GroupRequest),
    GetGroupMemberList(GetGroupMemberListRequest),
    GetGroupMemberProfile(GetGroupMemberProfileRequest),
    AddGroupMember(AddGroupMemberRequest),
    DeleteGroupMember(DeleteGroupMemberRequest),
    UpdateGroupProfile(UpdateGroupProfileRequest),
    SetGroupMemberRole(SetGroupMemberRoleRequest),
    ChangeGroupOwner(ChangeGroupOwnerRequest),
    SetGroupMemberMuteTime(SetGroupMemberMuteTimeRequest),
    SetGroupMemberNameCard(SetGroupMemberNameCardRequest),
    GetUserProfile(GetUserProfileRequest),
    UpdateMyProfile(UpdateMyProfileRequest),
}

impl Request {
    /// The operation name, as it appears in the `op` field.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Login(_) => "login",
            Request::Logout(_) => "logout",
            Request::Heartbeat(_) => "heartbeat",
            Request::SendMessage(_) => "sendMessage",
            Request::GetMessageList(_) => "getMessageList",
            Request::FindMessage(_) => "findMessage",
            Request::SetMessageRead(_) => "setMessageRead",
            Request::PinConversation(_) => "pinConversation",
            Request::SetConversationCustomData(_) => "setConversationCustomData",
            Request::MarkConversation(_) => "markConversation",
            Request::GetConversationList(_) => "getConversationList",
            Request::GetConversation(_) => "getConversation",
            Request::GetTotalUnreadMessageCount(_) => "getTotalUnreadMessageCount",
            Request::Sync(_) => "sync",
            Request::CreateGroup(_) => "createGroup",
            Request::JoinGroup(_) => "joinGroup",
            Request::QuitGroup(_) => "quitGroup",
            Request::GetGroupList(_) => "getGroupList",
            Request::GetGroupProfile(_) => "getGroupProfile",
            Request::DismissGroup(_) => "dismissGroup",
            Request::GetGroupMemberList(_) => "getGroupMemberList",
            Request::GetGroupMemberProfile(_) => "getGroupMemberProfile",
            Request::AddGroupMember(_) => "addGroupMember",
            Request::DeleteGroupMember(_) => "deleteGroupMember",
            Request::UpdateGroupProfile(_) => "updateGroupProfile",
            Request::SetGroupMemberRole(_) => "setGroupMemberRole",
            Request::ChangeGroupOwner(_) => "changeGroupOwner",
            Request::SetGroupMemberMuteTime(_) => "setGroupMemberMuteTime",
            Request::SetGroupMemberNameCard(_) => "setGroupMemberNameCard",
            Request::GetUserProfile(_) => "getUserProfile",
            Request::UpdateMyProfile(_) => "updateMyProfile",
        }
    }
}

/// A request or result with no fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The device class of a session. Sessions of the same class count against the app's
/// per-class instance limit; the oldest over the limit is kicked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Platform {
    /// Browsers, mini programs, mini games, uni-app: the SDK's "web instances".
    #[default]
    Web,
    Android,
    Ios,
    Windows,
    Mac,
    Linux,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Windows => "windows",
            Platform::Mac => "mac",
            Platform::Linux => "linux",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    #[serde(rename = "sdkAppID")]
    pub sdk_app_id: u64,
    #[serde(rename = "userID")]
    pub user_id: String,
    pub user_sig: String,
    #[serde(default)]
    pub platform: Platform,
    /// The protocol version the client speaks; see [`crate::PROTOCOL_VERSION`].
    pub protocol_version: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResult {
    /// Unix milliseconds on the server.
    pub server_time_ms: u64,
    /// The current head of the user's change stream.
    pub position: u64,
    /// When the UserSig expires (unix seconds); the server ends the session then.
    pub user_sig_expire_time: u64,
    /// An identifier of this session, unique on the server.
    #[serde(rename = "sessionID")]
    pub session_id: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResult {
    pub server_time_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    pub conversation_type: ConversationType,
    /// The receiving userID (C2C) or the groupID (GROUP).
    pub to: String,
    pub msg_body: Vec<MsgElement>,
    /// The client's idempotency key, `[A-Za-z0-9_]{1,64}`, unique per sender. A resend with the same
    /// key returns the original message.
    #[serde(rename = "clientMsgID")]
    pub client_msg_id: String,
    #[serde(default)]
    pub random: u32,
    #[serde(default)]
    pub cloud_custom_data: String,
    #[serde(default)]
    pub priority: MessagePriority,
    #[serde(default)]
    pub need_read_receipt: bool,
    /// Deliver only to online receivers; never stored, never counted as unread.
    #[serde(default)]
    pub online_user_only: bool,
    #[serde(default)]
    pub excluded_from_unread_count: bool,
    #[serde(default)]
    pub excluded_from_last_message: bool,
    /// The group members a message is meant for (the SDK's `receiverList`). Not served yet: a send
    /// that names any is refused, so a message meant for a few never reaches the whole group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receiver_list: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageResult {
    pub message: Message,
    /// True when this was a resend of a message already stored.
    pub duplicate: bool,
    /// True when the app's before-send webhook rewrote the message: `message` is what was stored
    /// and delivered (the SDK reports it with `MESSAGE_MODIFIED`).
    #[serde(default)]
    pub modified: bool,
}

/// Pages a conversation's history. With `afterSequence` it pages forward (oldest first, for
/// catching up); otherwise backward from `beforeSequence` (exclusive) or from the newest message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMessageListRequest {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    #[serde(default)]
    pub before_sequence: Option<u64>,
    #[serde(default)]
    pub after_sequence: Option<u64>,
    /// Default 15; at most 100.
    #[serde(default)]
    pub count: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMessageListResult {
    /// Oldest first.
    pub message_list: Vec<Message>,
    /// True when no older (backward paging) or newer (forward paging) message remains.
    pub is_completed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindMessageRequest {
    #[serde(rename = "messageID")]
    pub message_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetMessageReadRequest {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Read up to this sequence; the newest message when absent.
    #[serde(default)]
    pub sequence: Option<u64>,
}

/// Pins or unpins one of the user's conversations (the SDK's `pinConversation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinConversationRequest {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    pub is_pinned: bool,
}

/// Sets the user's custom data of several conversations (the SDK's `setConversationCustomData`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetConversationCustomDataRequest {
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// At most 256 bytes; empty clears it.
    pub custom_data: String,
}

/// Sets or clears one mark of several conversations (the SDK's `markConversation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkConversationRequest {
    #[serde(rename = "conversationIDList")]
    pub conversation_id_list: Vec<String>,
    /// The mark, `2^n`: 1, 2, 4 or 8 (the SDK's `CONV_MARK_TYPE_*`) or a custom mark with
    /// `32 <= n < 64`. A JSON number read as a double: JavaScript writes `2^60` as
    /// `1152921504606847000`, which is `2^60` only as a double, and powers of two are exact doubles.
    pub mark_type: f64,
    /// true sets the mark, false clears it.
    pub enable_mark: bool,
}

/// Which conversations of a batch operation were changed and which were refused, and why.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationBatchResult {
    #[serde(rename = "successConversationIDList")]
    pub success_conversation_id_list: Vec<String>,
    #[serde(rename = "failureConversationIDList")]
    pub failure_conversation_id_list: Vec<ConversationFailure>,
}

/// One refused conversation of a batch operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationFailure {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    pub code: u32,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRequest {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationListResult {
    /// Most recently updated first.
    pub conversation_list: Vec<Conversation>,
    /// The change-stream position this snapshot reflects; sync from here.
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalUnreadResult {
    pub total_unread_count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRequest {
    /// Return changes after this position.
    pub position: u64,
    /// At most this many changes (default and maximum 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncResult {
    pub changes: Vec<ChangeEntry>,
    /// The position to sync from next.
    pub position: u64,
    /// True when more changes remain after `position`.
    pub has_more: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitialMember {
    #[serde(rename = "userID")]
    pub user_id: String,
    #[serde(default)]
    pub role: Option<MemberRole>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateGroupRequest {
    #[serde(rename = "type")]
    pub group_type: GroupType,
    pub name: String,
    /// A custom group ID; the server makes one (`@TGS#...`) when absent.
    #[serde(rename = "groupID", default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub member_list: Vec<InitialMember>,
    #[serde(default)]
    pub introduction: String,
    #[serde(default)]
    pub notification: String,
    #[serde(default)]
    pub avatar: String,
    #[serde(default)]
    pub join_option: Option<JoinOption>,
    #[serde(default)]
    pub max_member_num: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRequest {
    #[serde(rename = "groupID")]
    pub group_id: String,
}

/// The SDK's `TYPES.JOIN_STATUS_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinStatus {
    #[serde(rename = "JoinedSuccess")]
    Joined,
    #[serde(rename = "WaitAdminApproval")]
    WaitAdminApproval,
    #[serde(rename = "AlreadyInGroup")]
    AlreadyInGroup,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinGroupResult {
    pub status: JoinStatus,
    pub group: Group,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupListResult {
    pub group_list: Vec<Group>,
}

/// The body of a `kicked` push: why the server is ending the session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kicked {
    pub reason: KickReason,
}
