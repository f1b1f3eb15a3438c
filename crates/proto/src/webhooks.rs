//! Webhook (callback) bodies, with Tencent's `CallbackCommand` names and field names.
//!
//! The server POSTs these to the app's callback URL with the query string
//! `?SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=`, and reads a
//! [`CallbackReply`] back.

use serde::{Deserialize, Serialize};

use crate::elements::MsgElement;

pub const C2C_BEFORE_SEND: &str = "C2C.CallbackBeforeSendMsg";
pub const C2C_AFTER_SEND: &str = "C2C.CallbackAfterSendMsg";
pub const GROUP_BEFORE_SEND: &str = "Group.CallbackBeforeSendMsg";
pub const GROUP_AFTER_SEND: &str = "Group.CallbackAfterSendMsg";
pub const STATE_CHANGE: &str = "State.StateChange";

/// Every command this server can call.
pub const COMMANDS: &[&str] = &[C2C_BEFORE_SEND, C2C_AFTER_SEND, GROUP_BEFORE_SEND, GROUP_AFTER_SEND, STATE_CHANGE];

/// `C2C.CallbackBeforeSendMsg` and `C2C.CallbackAfterSendMsg`. Before the send, `MsgSeq`,
/// `MsgTime` and `MsgKey` describe the message as it will be sent (`MsgSeq` 0: not yet assigned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct C2cMessageCallback {
    #[serde(rename = "CallbackCommand")]
    pub callback_command: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u32,
    #[serde(rename = "MsgTime")]
    pub msg_time: u64,
    #[serde(rename = "MsgKey")]
    pub msg_key: String,
    #[serde(rename = "MsgId", default)]
    pub msg_id: String,
    #[serde(rename = "OnlineOnlyFlag")]
    pub online_only_flag: u8,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    /// After-send only: 0 when the message was sent.
    #[serde(rename = "SendMsgResult", default, skip_serializing_if = "Option::is_none")]
    pub send_msg_result: Option<u32>,
    /// After-send only: the receiver's unread count in this conversation.
    #[serde(rename = "UnreadMsgNum", default, skip_serializing_if = "Option::is_none")]
    pub unread_msg_num: Option<u64>,
    #[serde(rename = "EventTime")]
    pub event_time: u64,
}

/// `Group.CallbackBeforeSendMsg` and `Group.CallbackAfterSendMsg`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMessageCallback {
    #[serde(rename = "CallbackCommand")]
    pub callback_command: String,
    #[serde(rename = "GroupId")]
    pub group_id: String,
    /// The group type in REST naming (`Work`, `Public`, `Meeting`, `AVChatRoom`, `Community`).
    #[serde(rename = "Type")]
    pub group_type: String,
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "Operator_Account")]
    pub operator_account: String,
    #[serde(rename = "Random")]
    pub random: u32,
    #[serde(rename = "OnlineOnlyFlag")]
    pub online_only_flag: u8,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<MsgElement>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    /// After-send only.
    #[serde(rename = "MsgSeq", default, skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u64>,
    /// After-send only.
    #[serde(rename = "MsgTime", default, skip_serializing_if = "Option::is_none")]
    pub msg_time: Option<u64>,
    #[serde(rename = "EventTime")]
    pub event_time: u64,
}

/// `State.StateChange`: a user's session began or ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateChangeCallback {
    #[serde(rename = "CallbackCommand")]
    pub callback_command: String,
    #[serde(rename = "EventTime")]
    pub event_time: u64,
    #[serde(rename = "Info")]
    pub info: StateChangeInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateChangeInfo {
    /// `Login`, `Logout` or `Disconnect`.
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// `Register`, `Unregister`, `LinkClose`, `TimeOut` or `Kicked`.
    #[serde(rename = "Reason")]
    pub reason: String,
}

/// What a callback answers. A before-send reply may veto (`ErrorCode` 1, or a custom code in
/// 120001-130000 passed to the sender), discard silently (`ErrorCode` 2: the sender sees success),
/// or rewrite the message (`MsgBody`, `CloudCustomData`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallbackReply {
    #[serde(rename = "ActionStatus", default)]
    pub action_status: String,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: u32,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
    #[serde(rename = "MsgBody", default)]
    pub msg_body: Option<Vec<MsgElement>>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: Option<String>,
}
