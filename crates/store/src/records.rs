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
    /// `None` for a message sent now: the store stamps the send time in the write that assigns
    /// the sequence, never earlier than the conversation's newest message, so time never goes
    /// backward as the sequence goes forward. `Some` for an imported message, which keeps the
    /// time it was sent at.
    pub time_ms: Option<u64>,
    pub body: Vec<MsgElement>,
    pub cloud_custom_data: String,
    pub priority: MessagePriority,
    pub need_read_receipt: bool,
    pub excluded_from_unread_count: bool,
    pub excluded_from_last_message: bool,
    /// The sender's nick when the message is sent (empty when none), stored with the message so a
    /// later profile change does not rewrite it.
    pub nick: String,
    /// The sender's avatar URL when the message is sent (empty when none), stored like `nick`.
    pub avatar: String,
    /// The sender's name card in the group when the message is sent (empty when none, and in
    /// C2C), stored like `nick`.
    pub name_card: String,
    /// When set, an after-send webhook event (`OutboxEvent::MessageSent`) is written to the outbox
    /// in the same transaction as the message.
    pub after_send_hook: Option<AfterSendHook>,
}

/// The after-send webhook a message asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct AfterSendHook {
    /// The `CallbackCommand`.
    pub command: String,
    /// The sender's IP address (`ClientIP`), empty when unknown.
    pub client_ip: String,
    /// The sender's platform (`OptPlatform`), e.g. `Web` or `RESTAPI`.
    pub platform: String,
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
    /// The sender's nick when the message was sent.
    pub nick: String,
    /// The sender's avatar URL when the message was sent.
    pub avatar: String,
    /// The sender's group name card when the message was sent (empty when none).
    pub name_card: String,
    /// The conversation's count of unread-counted messages up to and including this one.
    pub counted_index: u64,
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
    /// The `counted_index` at the read mark: `unread_count` is the conversation's counted total
    /// minus this.
    pub read_counted: u64,
    pub unread_count: u64,
    /// The newest message not excluded from being the last message.
    pub last_message: Option<StoredMessage>,
    pub updated_at_ms: u64,
    /// Whether the user pinned the conversation: pinned conversations list first.
    pub pinned: bool,
    /// The user's own custom data of the conversation (the SDK's `customData`, empty when unset).
    pub custom_data: String,
    /// The user's marks of the conversation as bits: mark value `2^n` is bit `n` (the SDK's
    /// `markList`).
    pub marks: u64,
}

/// One entry of a user's change stream, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum ChangeRecord {
    ConversationRead {
        conversation: String,
        read_seq: u64,
        unread_count: u64,
        /// The `counted_index` at the new read mark (0 in entries written before it was kept).
        #[serde(default)]
        read_counted: u64,
    },
    GroupJoined {
        group_id: String,
    },
    GroupLeft {
        group_id: String,
    },
    /// A message of one of the user's conversations was recalled.
    MessageRevoked {
        conversation: String,
        seq: u64,
        message_id: String,
    },
    /// A message of one of the user's conversations was edited.
    MessageModified {
        conversation: String,
        seq: u64,
        message_id: String,
    },
    /// A group system notice for the user (removed from the group, a custom notice).
    GroupNotice {
        group_id: String,
        group_name: String,
        notice: crate::admin::GroupNoticeRecord,
    },
    /// A group the user was a member of was dismissed.
    GroupDismissed {
        group_id: String,
        group_name: String,
        operator: String,
        at_ms: u64,
    },
    /// The user pinned or unpinned one of their conversations (possibly on another device).
    ConversationPinned {
        conversation: String,
        pinned: bool,
    },
    /// The user set the custom data of one of their conversations (possibly on another device).
    ConversationCustomData {
        conversation: String,
        custom_data: String,
    },
    /// The user marked or unmarked one of their conversations (possibly on another device);
    /// `marks` are all its marks after the change, as bits.
    ConversationMarked {
        conversation: String,
        marks: u64,
    },
    /// The profile of `user` changed (for now always the user's own).
    ProfileUpdated {
        user: String,
    },
    /// A group the user is a member of changed as the user sees it: its profile, its owner, or the
    /// user's role in it.
    GroupUpdated {
        group_id: String,
    },
    /// A kind this version does not know, written by a newer node during a rolling upgrade. Read,
    /// never written: its position counts, its content is skipped.
    #[serde(other)]
    Unknown,
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

/// The result of changing one of a user's own attributes of a conversation (its pin, custom
/// data, marks).
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationChanged {
    pub conversation: ConversationRecord,
    /// The change appended for the user, absent when the attribute already had the value.
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
    /// Unix milliseconds until which the member may not send; 0 when never muted or unmuted.
    pub mute_until_ms: u64,
    /// The member's name card in the group (empty: none).
    pub name_card: String,
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

/// An event waiting in the outbox to be told to the app's webhook. Stored with the write that
/// caused it, so a crash between the write and the callback never loses the callback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum OutboxEvent {
    /// A message was stored; its callback body is built from the stored message when delivered.
    MessageSent { message_id: String, client_ip: String, platform: String },
    /// A session began or ended.
    StateChanged { user: String, action: String, reason: String, platform: String, at_ms: u64 },
}

/// One outbox entry.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxItem {
    pub id: u64,
    pub app: AppId,
    /// The `CallbackCommand`.
    pub command: String,
    pub event: OutboxEvent,
    /// Deliveries tried so far.
    pub attempts: u32,
}

/// What one claim of outbox entries asks for (see [`OutboxStore::claim`](crate::OutboxStore::claim)).
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxClaim {
    /// Who claims: unique per worker (across nodes), so a claimant only updates its own claims.
    pub claimant: String,
    /// Entries due at or before this time whose lease (if any) ended by then are claimable.
    pub now_ms: u64,
    /// The claimed entries are the claimant's until this time; after it, anyone may claim them.
    pub lease_until_ms: u64,
    /// At most this many entries of one app, its oldest due.
    pub per_app: u32,
    /// At most this many entries in all.
    pub limit: u32,
    /// Apps whose entries are not claimed this time (the claimant is still delivering theirs).
    pub skip_apps: Vec<AppId>,
}
