//! What every backend does the same way before and after its SQL: a message prepared for its
//! append, the member cap and repeated members of a membership write, the log of change kinds a
//! newer node wrote, and the clock. The SQL itself is each
//! backend's own.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MemberRole;

use crate::StoreError;
use crate::keys::ConversationKey;
use crate::records::{NewMember, NewMessage, StoredMessage, message_id};

/// A message with the parts its append needs computed beforehand, outside any transaction (or off
/// the single writer thread): its app-unique ID and its body as JSON.
pub struct PreparedMessage {
    pub message: NewMessage,
    pub message_id: String,
    pub body_json: String,
    /// Whether a group message's sender must be a member (an administrator's need not).
    pub sender_must_be_member: bool,
}

impl PreparedMessage {
    /// Encodes the body and checks that a C2C message names its pair's conversation.
    pub fn new(message: NewMessage) -> Result<PreparedMessage, StoreError> {
        if message.conversation.conversation_type() == ConversationType::C2c
            && message.conversation != ConversationKey::c2c(&message.sender, &message.receiver)
        {
            return Err(StoreError::Backend(format!(
                "message from {} to {} names another conversation",
                message.sender, message.receiver
            )));
        }
        let body_json = serde_json::to_string(&message.body)
            .map_err(|error| StoreError::Backend(format!("encoding a message body as JSON: {error}")))?;
        let message_id = message_id(&message.sender, &message.client_msg_id);
        Ok(PreparedMessage { message, message_id, body_json, sender_must_be_member: true })
    }

    /// Like [`PreparedMessage::new`], for an administrator's message: a group message's sender need
    /// not be a member.
    pub fn from_administrator(message: NewMessage) -> Result<PreparedMessage, StoreError> {
        Ok(PreparedMessage { sender_must_be_member: false, ..PreparedMessage::new(message)? })
    }
}

/// One column of a group membership that an edit sets (a role, a name card, a mute).
#[derive(Clone, Copy, Debug)]
pub enum MemberField<'a> {
    Role(MemberRole),
    NameCard(&'a str),
    /// Muted until this time, unix milliseconds (0: not muted).
    MuteUntil(u64),
}

/// Where an appended message goes: its sequence, its unread-counted index and its send time, all
/// assigned by the write that appends it.
#[derive(Clone, Copy, Debug)]
pub struct Position {
    pub seq: u64,
    pub counted_index: u64,
    pub time_ms: u64,
}

impl PreparedMessage {
    /// The message as stored at `position`.
    pub fn stored(&self, position: Position) -> StoredMessage {
        let message = self.message.clone();
        StoredMessage {
            app: message.app,
            conversation: message.conversation,
            seq: position.seq,
            sender: message.sender,
            receiver: message.receiver,
            client_msg_id: message.client_msg_id,
            random: message.random,
            time_ms: position.time_ms,
            body: message.body,
            cloud_custom_data: message.cloud_custom_data,
            priority: message.priority,
            need_read_receipt: message.need_read_receipt,
            excluded_from_unread_count: message.excluded_from_unread_count,
            excluded_from_last_message: message.excluded_from_last_message,
            revoked: false,
            nick: message.nick,
            avatar: message.avatar,
            name_card: message.name_card,
            counted_index: position.counted_index,
        }
    }
}

/// The change kinds met that this version does not know (written by a newer node during a rolling
/// upgrade), so each is logged once, not once per read.
#[derive(Default)]
pub struct UnknownKinds(Mutex<HashSet<String>>);

impl UnknownKinds {
    /// Logs an unknown kind the first time it is met; `payload` is the stored change's JSON.
    pub fn met(&self, payload: &str) {
        #[derive(serde::Deserialize)]
        struct Kind {
            kind: String,
        }
        let kind = serde_json::from_str::<Kind>(payload).map_or_else(|_| "?".to_owned(), |parsed| parsed.kind);
        if self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(kind.clone()) {
            tracing::warn!(%kind, "skipping change entries of a kind this version does not know (a newer node wrote them)");
        }
    }
}

/// The current time in unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// Whether `joining` more members would pass a group's cap (`max_member_num` 0 means unlimited).
pub fn exceeds_cap(max_member_num: u32, current: u32, joining: usize) -> bool {
    max_member_num > 0 && u64::from(current) + joining as u64 > u64::from(max_member_num)
}

/// The members with repeated users left out (the first mention wins).
pub fn distinct_members(members: &[NewMember]) -> Vec<&NewMember> {
    let mut seen = HashSet::new();
    members.iter().filter(|member| seen.insert(member.user.as_str())).collect()
}
