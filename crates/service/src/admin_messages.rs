//! One-to-one messages by an administrator: sending as any account (the SDKs receive them as
//! pushes), importing messages of the past, reading a conversation's history by time, marking read
//! and counting unread.
//!
//! A REST send carries no client message ID, so one is derived from what identifies the call (the
//! receiver, `MsgSeq`, `MsgRandom` and the content, Tencent's deduplication key): a retried call
//! stores the message once.

use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::MsgElement;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::{Message, MessagePriority};
use mynah_proto::requests::{SendMessageRequest, SendMessageResult};
use mynah_store::{AppId, ConversationKey, HistoryRange, NewMessage, StoredMessage};

use crate::error::{ServiceError, ServiceResult};
use crate::send::{Append, Fanout, Run, Sender};
use crate::sequencer::OwnedTopic;
use crate::{Origin, Service, convert};

/// The platform webhooks report for administrative sends (Tencent's `OptPlatform`).
pub const REST_PLATFORM: &str = "RESTAPI";
/// The most messages one `admin_getroammsg` page holds.
pub const MAX_ROAM_PAGE: u32 = 100;
/// Messages read per store call while scanning a conversation for a time range.
const ROAM_SCAN_BATCH: u32 = 200;

/// A message an administrator sends.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminMessage {
    pub from: String,
    /// The receiving userID (C2C) or groupID (GROUP).
    pub to: String,
    pub conversation_type: ConversationType,
    pub random: u32,
    /// The caller's `MsgSeq`, part of the deduplication key (0 when absent).
    pub caller_seq: u64,
    pub body: Vec<MsgElement>,
    pub cloud_custom_data: String,
    pub priority: MessagePriority,
    pub online_only: bool,
    pub excluded_from_unread_count: bool,
    pub excluded_from_last_message: bool,
    pub need_read_receipt: bool,
    /// Also deliver to the sender's own sessions.
    pub deliver_to_sender: bool,
    /// The members a targeted group message is meant for (REST `To_Account`); refused by the send
    /// path, like the SDK's `receiverList`, until targeted messages are served.
    pub receivers: Vec<String>,
}

/// A message of the past to store.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedMessage {
    pub from: String,
    pub to: String,
    pub random: u32,
    pub caller_seq: u64,
    pub time_ms: u64,
    pub body: Vec<MsgElement>,
    pub cloud_custom_data: String,
    /// Real-time import: counts as unread and is pushed. Otherwise history: neither.
    pub realtime: bool,
}

/// A page of a conversation's history by time.
#[derive(Clone, Debug, PartialEq)]
pub struct RoamPage {
    /// Oldest first.
    pub messages: Vec<StoredMessage>,
    /// No other message of the range is older than this page.
    pub complete: bool,
}

impl Service {
    /// Sends a message as `message.from` (no membership needed for groups). The receivers get a
    /// push; the sender's sessions too when `deliver_to_sender`.
    pub async fn admin_send(&self, app: AppId, message: AdminMessage) -> ServiceResult<SendMessageResult> {
        let client_msg_id = derived_client_msg_id(&message);
        let origin = Origin { client_ip: String::new(), platform: REST_PLATFORM.to_owned() };
        let sender = Sender {
            app,
            user: &message.from,
            session: None,
            origin: &origin,
            must_be_member: false,
            deliver_to_sender: message.deliver_to_sender,
        };
        let request = SendMessageRequest {
            conversation_type: message.conversation_type,
            to: message.to.clone(),
            msg_body: message.body,
            client_msg_id,
            random: message.random,
            cloud_custom_data: message.cloud_custom_data,
            priority: message.priority,
            need_read_receipt: message.need_read_receipt,
            online_user_only: message.online_only,
            excluded_from_unread_count: message.excluded_from_unread_count,
            excluded_from_last_message: message.excluded_from_last_message,
            receiver_list: message.receivers,
        };
        self.send_as(&sender, request).await
    }

    /// `importmsg`: stores a one-to-one message with its own time. A real-time import is pushed to
    /// both users' sessions; a history import is not, and does not count as unread.
    pub async fn import_c2c_message(&self, app: AppId, import: ImportedMessage) -> ServiceResult<Message> {
        let hashed = AdminMessage {
            from: import.from.clone(),
            to: import.to.clone(),
            conversation_type: ConversationType::C2c,
            random: import.random,
            caller_seq: import.caller_seq,
            body: import.body.clone(),
            cloud_custom_data: import.cloud_custom_data.clone(),
            priority: MessagePriority::Normal,
            online_only: false,
            excluded_from_unread_count: false,
            excluded_from_last_message: false,
            need_read_receipt: false,
            deliver_to_sender: false,
            receivers: Vec::new(),
        };
        // An imported message is stamped with its sender's profile as it is at the import.
        let stamp = self.sender_profile(app, &import.from, ("importmsg", ErrorCode::OPENIM_INTERNAL)).await?;
        let new_message = NewMessage {
            app,
            conversation: ConversationKey::c2c(&import.from, &import.to),
            sender: import.from.clone(),
            receiver: import.to.clone(),
            client_msg_id: format!("import_{}", &derived_client_msg_id(&hashed)["rest_".len()..]),
            random: import.random,
            time_ms: Some(import.time_ms),
            body: import.body,
            cloud_custom_data: import.cloud_custom_data,
            priority: MessagePriority::Normal,
            need_read_receipt: false,
            excluded_from_unread_count: !import.realtime,
            excluded_from_last_message: false,
            nick: stamp.nick,
            avatar: stamp.avatar,
            name_card: String::new(),
            after_send_hook: None,
        };
        if import.realtime {
            // Pushed to both users' sessions, in the conversation's order like any send.
            let topics = vec![OwnedTopic::User(import.to.clone()), OwnedTopic::User(import.from.clone())];
            let fanout = Fanout { topics, except_session: None };
            let (message, _duplicate) = self
                .commit_and_publish(new_message, Append::Admin, fanout, Run::Detached)
                .await
                .map_err(|error| ServiceError::from_store("importmsg", error, ErrorCode::OPENIM_INTERNAL))?;
            return Ok(message);
        }
        let appended = self
            .store()
            .message_admin
            .append_admin_message(new_message)
            .await
            .map_err(|error| ServiceError::from_store("importmsg", error, ErrorCode::OPENIM_INTERNAL))?;
        let message = convert::message(&appended.message);
        Ok(message)
    }

    /// `admin_getroammsg`: the conversation of `operator` and `peer`, newest first from `before_seq`
    /// (exclusive; the newest when `None`), keeping messages whose time (unix seconds) is within
    /// `min_time..=max_time`, at most `max_count` of them; returned oldest first.
    pub async fn roam_messages(
        &self,
        app: AppId,
        operator: &str,
        peer: &str,
        (min_time, max_time): (u64, u64),
        max_count: u32,
        before_seq: Option<u64>,
    ) -> ServiceResult<RoamPage> {
        let conversation = ConversationKey::c2c(operator, peer);
        let wanted = max_count.clamp(1, MAX_ROAM_PAGE) as usize;
        let mut found = Vec::with_capacity(wanted);
        let mut bound = before_seq;
        // Imported messages carry their own times, so time is not monotonic in the sequence: the
        // scan filters every message instead of stopping at the first one out of range.
        let complete = 'scan: loop {
            let batch = self
                .store()
                .messages
                .history(app, &conversation, HistoryRange::Before(bound), ROAM_SCAN_BATCH)
                .await
                .map_err(|error| ServiceError::from_store("admin_getroammsg", error, ErrorCode::OPENIM_INTERNAL))?;
            let exhausted = batch.len() < ROAM_SCAN_BATCH as usize;
            for message in batch {
                bound = Some(message.seq);
                if (min_time..=max_time).contains(&(message.time_ms / 1000)) {
                    if found.len() == wanted {
                        // Another message of the range lies beyond this page.
                        break 'scan false;
                    }
                    found.push(message);
                }
            }
            if exhausted {
                break true;
            }
        };
        found.reverse();
        Ok(RoamPage { messages: found, complete })
    }

    /// `admin_set_msg_read`: `reader` has read its conversation with `peer` up to the newest
    /// message sent at or before `read_time` (unix seconds; everything when `None`). Its sessions
    /// learn it through a `conversationRead` change.
    pub async fn admin_mark_c2c_read(
        &self,
        app: AppId,
        reader: &str,
        peer: &str,
        read_time: Option<u64>,
    ) -> ServiceResult<()> {
        let conversation = ConversationKey::c2c(reader, peer);
        let up_to = match read_time {
            None => None,
            Some(read_time) => match self.last_message_at_or_before(app, reader, &conversation, read_time).await? {
                Some(seq) => Some(seq),
                // Nothing unread was sent by then: the read mark stays where it is.
                None => return Ok(()),
            },
        };
        match self.store().conversations.mark_read(app, reader, &conversation, up_to).await {
            Ok(marked) => {
                if let Some(change) = marked.change {
                    self.publish_changes(app, &[change]).await;
                }
                Ok(())
            }
            // Nothing was ever said between them: nothing to read.
            Err(mynah_store::StoreError::NotFound(_)) => Ok(()),
            Err(error) => Err(ServiceError::from_store("admin_set_msg_read", error, ErrorCode::OPENIM_INTERNAL)),
        }
    }

    /// The sequence of the newest message of the conversation sent at or before `read_time` (unix
    /// seconds) and above the reader's read mark; `None` when there is none. Imported messages carry
    /// their own times, so the scan goes newest first and stops at the first one in range, or at
    /// the read mark (the mark never moves backward, so older messages cannot matter).
    async fn last_message_at_or_before(
        &self,
        app: AppId,
        reader: &str,
        conversation: &ConversationKey,
        read_time: u64,
    ) -> ServiceResult<Option<u64>> {
        let internal = |error| ServiceError::from_store("admin_set_msg_read", error, ErrorCode::OPENIM_INTERNAL);
        let Some(record) =
            self.store().conversations.get_conversation(app, reader, conversation).await.map_err(internal)?
        else {
            return Ok(None);
        };
        let mut bound = None;
        loop {
            let batch = self
                .store()
                .messages
                .history(app, conversation, HistoryRange::Before(bound), ROAM_SCAN_BATCH)
                .await
                .map_err(internal)?;
            let exhausted = batch.len() < ROAM_SCAN_BATCH as usize;
            for message in batch {
                if message.seq <= record.read_seq {
                    return Ok(None);
                }
                if message.time_ms / 1000 <= read_time {
                    return Ok(Some(message.seq));
                }
                bound = Some(message.seq);
            }
            if exhausted {
                return Ok(None);
            }
        }
    }

    /// `get_c2c_unread_msg_num`: the user's total unread over one-to-one conversations, and per
    /// listed peer.
    pub async fn c2c_unread_counts(
        &self,
        app: AppId,
        user: &str,
        peers: &[String],
    ) -> ServiceResult<(u64, Vec<(String, u64)>)> {
        let internal = |error| ServiceError::from_store("get_c2c_unread_msg_num", error, ErrorCode::OPENIM_INTERNAL);
        let conversations =
            self.store().conversations.list_conversations(app, user, u32::MAX).await.map_err(internal)?;
        let total = conversations
            .iter()
            .filter(|record| record.conversation.conversation_type() == ConversationType::C2c)
            .map(|record| record.unread_count)
            .sum();
        let per_peer = peers
            .iter()
            .map(|peer| {
                let key = ConversationKey::c2c(user, peer);
                let unread = conversations
                    .iter()
                    .find(|record| record.conversation == key)
                    .map_or(0, |record| record.unread_count);
                (peer.clone(), unread)
            })
            .collect();
        Ok((total, per_peer))
    }
}

/// The client message ID of an administrator's send: `rest_{random}_{seq}_{hash}`, the hash
/// covering the receiver and the content (FNV-1a, stable across builds).
fn derived_client_msg_id(message: &AdminMessage) -> String {
    let mut hash = Fnv1a::default();
    hash.write(message.conversation_type.as_str().as_bytes());
    hash.write(message.to.as_bytes());
    hash.write(serde_json::to_string(&message.body).unwrap_or_default().as_bytes());
    hash.write(message.cloud_custom_data.as_bytes());
    format!("rest_{}_{}_{:016x}", message.random, message.caller_seq, hash.finish())
}

/// 64-bit FNV-1a: a hash whose value never changes between Rust releases.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(to: &str, text: &str) -> AdminMessage {
        AdminMessage {
            from: "administrator".to_owned(),
            to: to.to_owned(),
            conversation_type: ConversationType::C2c,
            random: 4_294_967_295,
            caller_seq: u64::MAX,
            body: vec![MsgElement::text(text)],
            cloud_custom_data: String::new(),
            priority: MessagePriority::Normal,
            online_only: false,
            excluded_from_unread_count: false,
            excluded_from_last_message: false,
            need_read_receipt: false,
            deliver_to_sender: false,
            receivers: Vec::new(),
        }
    }

    #[test]
    fn derived_ids_identify_the_call_and_fit_the_format() {
        let id = derived_client_msg_id(&message("bob", "hi"));
        assert_eq!(id, derived_client_msg_id(&message("bob", "hi")), "a retried call has the same key");
        assert_ne!(id, derived_client_msg_id(&message("carol", "hi")), "another receiver is another message");
        assert_ne!(id, derived_client_msg_id(&message("bob", "hello")), "other content is another message");
        assert!(crate::validate::client_msg_id(&id).is_ok(), "{id} is a valid clientMsgID");
        // The value is pinned (computed independently): a retry after an upgrade must find the
        // message stored before it.
        assert_eq!(id, "rest_4294967295_18446744073709551615_7ef690533d819047");
    }
}
