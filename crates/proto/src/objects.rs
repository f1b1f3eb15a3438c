//! SDK-facing objects the server sends: messages, conversations, groups, members, change entries.
//!
//! Field names are camelCase and follow the official SDK's object fields where one exists
//! (`conversationID`, `unreadCount`, `groupID`, `memberCount`, ...). The SDKs map these onto their
//! own `Message`/`Conversation`/`Group` objects.

use serde::{Deserialize, Serialize};

use crate::elements::MsgElement;
use crate::ids::ConversationType;
use crate::profiles::Profile;

/// A stored (or online-only) message as the server reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Unique within the app: `{from}-{clientMsgID}`.
    #[serde(rename = "ID")]
    pub id: String,
    pub conversation_type: ConversationType,
    pub from: String,
    /// The receiving userID (C2C) or the groupID (GROUP).
    pub to: String,
    /// The dense per-conversation sequence (1, 2, 3, ...). 0 for online-only messages, which are not stored.
    pub sequence: u64,
    pub random: u32,
    /// Server time of the send, unix seconds.
    pub time: u64,
    /// Server time of the send, unix milliseconds (orders messages of the same second).
    pub time_ms: u64,
    #[serde(rename = "clientMsgID")]
    pub client_msg_id: String,
    pub msg_body: Vec<MsgElement>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cloud_custom_data: String,
    #[serde(default)]
    pub priority: MessagePriority,
    #[serde(default)]
    pub need_read_receipt: bool,
    #[serde(default)]
    pub is_revoked: bool,
    #[serde(default)]
    pub online_only: bool,
    #[serde(default)]
    pub excluded_from_unread_count: bool,
    #[serde(default)]
    pub excluded_from_last_message: bool,
    /// The sender's nick (`Tag_Profile_IM_Nick`) when the message was sent: stamped into the stored
    /// message, so a later profile change does not rewrite it. Empty when the sender had none.
    #[serde(default)]
    pub nick: String,
    /// The sender's avatar URL (`Tag_Profile_IM_Image`) when the message was sent, stamped like `nick`.
    #[serde(default)]
    pub avatar: String,
    /// The sender's name card in the group when the message was sent; empty where there is none
    /// (C2C, no card, or a REST send by the administrator).
    #[serde(default)]
    pub name_card: String,
    /// The conversation's count of unread-counted messages up to and including this one; 0 for
    /// online-only messages. A receiver's unread count is this minus its `readCountedIndex`.
    #[serde(default)]
    pub counted_index: u64,
}

impl Message {
    /// Whether this message adds to its receivers' unread counts.
    pub fn counts_as_unread(&self) -> bool {
        !self.online_only && !self.excluded_from_unread_count
    }
}

/// Message priority, the SDK's `TYPES.MSG_PRIORITY_*` values. Decides delivery order under group
/// rate limiting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MessagePriority {
    High,
    #[default]
    Normal,
    Low,
    Lowest,
}

impl MessagePriority {
    pub fn as_str(self) -> &'static str {
        match self {
            MessagePriority::High => "High",
            MessagePriority::Normal => "Normal",
            MessagePriority::Low => "Low",
            MessagePriority::Lowest => "Lowest",
        }
    }

    pub fn parse(value: &str) -> Option<MessagePriority> {
        match value {
            "High" => Some(MessagePriority::High),
            "Normal" => Some(MessagePriority::Normal),
            "Low" => Some(MessagePriority::Low),
            "Lowest" => Some(MessagePriority::Lowest),
            _ => None,
        }
    }
}

/// A conversation as one user sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    #[serde(rename = "type")]
    pub conversation_type: ConversationType,
    pub unread_count: u64,
    /// The newest message that may be shown as the last message (see `excludedFromLastMessage`).
    pub last_message: Option<Message>,
    /// The highest sequence stored in the conversation.
    pub last_sequence: u64,
    /// The highest sequence this user has read.
    pub read_sequence: u64,
    /// The `countedIndex` at the user's read mark: `unreadCount` is the newest message's
    /// `countedIndex` minus this.
    #[serde(default)]
    pub read_counted_index: u64,
    /// Server time of the last change, unix milliseconds (orders the conversation list).
    pub updated_at_ms: u64,
    /// The peer's profile as it is now, for a C2C conversation (a peer without an account has the
    /// default profile with its userID); null for a group.
    #[serde(default)]
    pub user_profile: Option<Profile>,
    /// Whether the user pinned the conversation; pinned conversations list first.
    #[serde(default)]
    pub is_pinned: bool,
    /// The user's own custom data of the conversation (`""` when unset).
    #[serde(default)]
    pub custom_data: String,
    /// The user's own marks of the conversation, each `2^n`, in ascending order.
    #[serde(default)]
    pub mark_list: Vec<u64>,
}

/// A group type, the SDK's `TYPES.GRP_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupType {
    /// Work group (`GRP_WORK`): members are invited, nobody applies.
    #[serde(rename = "Private")]
    Work,
    /// Public group (`GRP_PUBLIC`): anyone may apply.
    Public,
    /// Meeting group (`GRP_MEETING`): anyone may join freely.
    #[serde(rename = "ChatRoom")]
    Meeting,
    /// Live-stream room (`GRP_AVCHATROOM`).
    AVChatRoom,
    /// Community (`GRP_COMMUNITY`).
    Community,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Work => "Private",
            GroupType::Public => "Public",
            GroupType::Meeting => "ChatRoom",
            GroupType::AVChatRoom => "AVChatRoom",
            GroupType::Community => "Community",
        }
    }

    /// Accepts both the SDK's values (`Private`, `ChatRoom`) and the REST API's (`Work`, `Meeting`).
    pub fn parse(value: &str) -> Option<GroupType> {
        match value {
            "Private" | "Work" => Some(GroupType::Work),
            "Public" => Some(GroupType::Public),
            "ChatRoom" | "Meeting" => Some(GroupType::Meeting),
            "AVChatRoom" => Some(GroupType::AVChatRoom),
            "Community" => Some(GroupType::Community),
            _ => None,
        }
    }

    /// The default member cap of the type (Tencent's documented defaults).
    pub fn default_max_member_num(self) -> u32 {
        match self {
            GroupType::Work => 200,
            GroupType::Public => 2000,
            GroupType::Meeting => 10000,
            GroupType::AVChatRoom => 0,
            GroupType::Community => 100000,
        }
    }

    /// The join option a group of the type gets when its creator names none: `FreeAccess`, the
    /// SDK's documented default (`createGroup`'s `joinOption`), except for work groups, which take
    /// no applications at all.
    pub fn default_join_option(self) -> JoinOption {
        match self {
            GroupType::Work => JoinOption::DisableApply,
            GroupType::Public | GroupType::Community | GroupType::Meeting | GroupType::AVChatRoom => {
                JoinOption::FreeAccess
            }
        }
    }

    /// Whether a group of the type may choose its join option (at creation or later). Work groups
    /// never take applications and meeting and live groups are always free to join, so only public
    /// groups and communities choose.
    pub fn join_option_settable(self) -> bool {
        matches!(self, GroupType::Public | GroupType::Community)
    }
}

/// How users may join a group, the SDK's `TYPES.JOIN_OPTIONS_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JoinOption {
    FreeAccess,
    NeedPermission,
    DisableApply,
}

impl JoinOption {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinOption::FreeAccess => "FreeAccess",
            JoinOption::NeedPermission => "NeedPermission",
            JoinOption::DisableApply => "DisableApply",
        }
    }

    pub fn parse(value: &str) -> Option<JoinOption> {
        match value {
            "FreeAccess" => Some(JoinOption::FreeAccess),
            "NeedPermission" => Some(JoinOption::NeedPermission),
            "DisableApply" => Some(JoinOption::DisableApply),
            _ => None,
        }
    }
}

/// A member's role, the SDK's `TYPES.GRP_MBR_ROLE_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "Owner",
            MemberRole::Admin => "Admin",
            MemberRole::Member => "Member",
        }
    }

    pub fn parse(value: &str) -> Option<MemberRole> {
        match value {
            "Owner" => Some(MemberRole::Owner),
            "Admin" => Some(MemberRole::Admin),
            "Member" => Some(MemberRole::Member),
            _ => None,
        }
    }
}

/// A group's profile, as a member (or a prospective member) sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(rename = "groupID")]
    pub group_id: String,
    #[serde(rename = "type")]
    pub group_type: GroupType,
    pub name: String,
    #[serde(rename = "ownerID")]
    pub owner_id: String,
    /// Unix seconds.
    pub create_time: u64,
    pub member_count: u32,
    /// 0 means unlimited.
    pub max_member_num: u32,
    pub join_option: JoinOption,
    #[serde(default)]
    pub introduction: String,
    #[serde(default)]
    pub notification: String,
    #[serde(default)]
    pub avatar: String,
    /// The sequence the next message in the group will get.
    pub next_message_seq: u64,
    /// The asking user's membership, when they are a member.
    pub self_info: Option<GroupSelfInfo>,
}

/// The asking user's own membership in a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSelfInfo {
    pub role: MemberRole,
    /// Unix seconds.
    pub join_time: u64,
    /// The asking user's name card in the group (empty: none).
    #[serde(default)]
    pub name_card: String,
}

/// One entry of a user's change stream. `position` is the per-user monotonic position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEntry {
    pub position: u64,
    pub change: Change,
}

/// What changed for a user, besides new messages (which carry their own conversation sequence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Change {
    /// The user read a conversation up to `readSequence` (possibly on another device).
    #[serde(rename_all = "camelCase")]
    ConversationRead {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        read_sequence: u64,
        unread_count: u64,
        /// The `countedIndex` at the new read mark.
        #[serde(default)]
        read_counted_index: u64,
    },
    /// The user pinned or unpinned a conversation (possibly on another device).
    #[serde(rename_all = "camelCase")]
    ConversationPinned {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        is_pinned: bool,
    },
    /// The user set the custom data of a conversation (possibly on another device).
    #[serde(rename_all = "camelCase")]
    ConversationCustomData {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        custom_data: String,
    },
    /// The user marked or unmarked a conversation (possibly on another device); `markList` is all
    /// its marks now.
    #[serde(rename_all = "camelCase")]
    ConversationMarked {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        mark_list: Vec<u64>,
    },
    /// The user became a member of a group. `readCountedIndex` is the user's read mark in the
    /// group's conversation (a new member has read everything sent before it joined).
    #[serde(rename_all = "camelCase")]
    GroupJoined {
        group: Group,
        /// The joiner's read mark in the group's conversation: what came before it is the group's
        /// history to this user, so a client starts the conversation's gap-free prefix there.
        #[serde(default)]
        read_sequence: u64,
        #[serde(default)]
        read_counted_index: u64,
    },
    /// The user is no longer a member of a group.
    #[serde(rename_all = "camelCase")]
    GroupLeft {
        #[serde(rename = "groupID")]
        group_id: String,
    },
    /// A message of one of the user's conversations was recalled; it stays with `isRevoked`.
    #[serde(rename_all = "camelCase")]
    MessageRevoked {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        #[serde(rename = "messageID")]
        message_id: String,
        sequence: u64,
    },
    /// A message of one of the user's conversations was edited. `message` is the message as it is
    /// now (null when it no longer exists, for example because its group was dismissed since).
    #[serde(rename_all = "camelCase")]
    MessageModified {
        #[serde(rename = "conversationID")]
        conversation_id: String,
        #[serde(rename = "messageID")]
        message_id: String,
        sequence: u64,
        message: Option<Box<Message>>,
    },
    /// A group system notice for the user (the SDK's `TIMGroupSystemNoticeElem` in `@TIM#SYSTEM`):
    /// `operationType` 4 = removed from the group, 255 = a custom notice (`userDefinedField`).
    #[serde(rename_all = "camelCase")]
    GroupSystemNotice {
        #[serde(rename = "groupID")]
        group_id: String,
        group_name: String,
        operation_type: u32,
        #[serde(rename = "operatorID")]
        operator_id: String,
        user_defined_field: String,
        /// Unix seconds.
        time: u64,
    },
    /// A group the user was a member of was dismissed (the SDK's system notice type 5).
    #[serde(rename_all = "camelCase")]
    GroupDismissed {
        #[serde(rename = "groupID")]
        group_id: String,
        group_name: String,
        #[serde(rename = "operatorID")]
        operator_id: String,
        /// Unix seconds.
        time: u64,
    },
    /// The user's own profile changed (on another device, or by an administrator).
    #[serde(rename_all = "camelCase")]
    ProfileUpdated { profile: Box<Profile> },
    /// A group the user is a member of changed as the user sees it (its profile, its owner, the
    /// user's role): `group` is the group as it is now.
    #[serde(rename_all = "camelCase")]
    GroupUpdated { group: Group },
}

/// `operationType` of a group system notice: the user was removed from the group.
pub const GROUP_NOTICE_KICKED: u32 = 4;
/// `operationType` of a group system notice: the group was dismissed.
pub const GROUP_NOTICE_DISMISSED: u32 = 5;
/// `operationType` of a group system notice: a custom notice sent by the app.
pub const GROUP_NOTICE_CUSTOM: u32 = 255;
