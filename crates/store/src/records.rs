//! Records the stores read and write. These are storage shapes, not wire shapes: the service turns
//! them into `mynah_proto` objects.

use mynah_proto::elements::MsgElement;
use mynah_proto::objects::{GroupType, JoinOption, MemberRole, MessagePriority};
use serde::{Deserialize, Serialize};

use crate::keys::ConversationKey;

/// The SDKAppID that scopes every key.
pub type AppId = u64;

/// A message to append to a conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    pub app: AppId,
    pub conversation: ConversationKey,
    pub sender: String,
    /// The receiving userID (C2C) or the groupID (GROUP).
    pub receiver: String,
    /// The sender's idempotency key; `(app, sender, client_msg_id)` is unique.
    pub client_msg_id: String,
    pub random: u32,
    pub time_ms: u64,
    pub body: Vec<MsgElement>,
    pub cloud_custom_data: String,
    pub priority: MessagePriority,
    pub need_read_receipt: bool,
    pub excluded_from_unread_count: bool,
    pub excluded_from_last_message: bool,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    pub app: AppId,
    pub conversation: ConversationKey,
    /// Dense per conversation: 1, 2, 3, ...
    pub seq: u64,
    pub sender: String,
    pub receiver: String,
    pub client_msg_id: String,
    pub random: u32,
    pub time_ms: u64,
    pub body: Vec<MsgElement>,
    pub cloud_custom_data: String,
    pub priority: MessagePriority,
    pub need_read_receipt: bool,
    pub excluded_from_unread_count: bool,
    pub excluded_from_last_message: bool,
    pub revoked: bool,
}

impl StoredMessage {
    /// The app-unique message ID: `{sender}-{client_msg_id}`.
    pub fn message_id(&self) -> String {
        message_id(&self.sender, &self.client_msg_id)
    }
}

/// The app-unique message ID of a sender's message.
pub fn message_id(sender: &str, client_msg_id: &str) -> String {
    format!("{sender}-{client_msg_id}")
}

/// The result of appending a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Appended {
    pub message: StoredMessage,
    /// True when the idempotency key was already used: `message` is the original, nothing was written.
    pub duplicate: bool,
}

/// Which slice of a conversation's history to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryRange {
    /// The newest messages with a sequence below the bound (all when `None`), newest first.
    Before(Option<u64>),
    /// The oldest messages with a sequence above the bound, oldest first.
    After(u64),
}

/// A conversation as one user sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationRecord {
    pub conversation: ConversationKey,
    pub last_seq: u64,
    pub read_seq: u64,
    pub unread_count: u64,
    /// The newest message not excluded from being the last message.
    pub last_message: Option<StoredMessage>,
    pub updated_at_ms: u64,
}

/// One entry of a user's change stream, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum ChangeRecord {
    ConversationRead { conversation: String, read_seq: u64, unread_count: u64 },
    GroupJoined { group_id: String },
    GroupLeft { group_id: String },
}

/// A change appended for a user by a write, to be pushed to that user's sessions.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendedChange {
    pub user: String,
    pub position: u64,
    pub change: ChangeRecord,
}

/// The result of marking a conversation read.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadMarked {
    pub conversation: ConversationRecord,
    /// The `ConversationRead` change, absent when the read mark did not move.
    pub change: Option<AppendedChange>,
}

/// A group to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewGroup {
    pub app: AppId,
    pub group_id: String,
    pub group_type: GroupType,
    pub name: String,
    pub owner: String,
    pub created_at_ms: u64,
    /// 0 means unlimited.
    pub max_member_num: u32,
    pub join_option: JoinOption,
    pub introduction: String,
    pub notification: String,
    pub avatar: String,
}

/// A stored group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRecord {
    pub app: AppId,
    pub group_id: String,
    pub group_type: GroupType,
    pub name: String,
    pub owner: String,
    pub created_at_ms: u64,
    pub max_member_num: u32,
    pub join_option: JoinOption,
    pub introduction: String,
    pub notification: String,
    pub avatar: String,
    pub member_count: u32,
    /// The highest message sequence in the group (0 when it has none).
    pub last_seq: u64,
}

/// A member to add to a group.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMember {
    pub user: String,
    pub role: MemberRole,
    pub joined_at_ms: u64,
}

/// A stored group membership.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRecord {
    pub user: String,
    pub role: MemberRole,
    pub joined_at_ms: u64,
}

/// The result of adding members to a group.
#[derive(Clone, Debug, PartialEq)]
pub struct MembersAdded {
    pub group: GroupRecord,
    /// The users that were not members before, with their `GroupJoined` changes.
    pub changes: Vec<AppendedChange>,
    /// The users that were members already.
    pub already_members: Vec<String>,
}

/// The result of creating a group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupCreated {
    pub group: GroupRecord,
    /// One `GroupJoined` change per initial member, the owner included.
    pub changes: Vec<AppendedChange>,
}
