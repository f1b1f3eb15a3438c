//! Message revisions by an administrator: recalling and editing one-to-one messages (addressed by
//! `MsgKey`) and recalling group messages (by sequence). The message stays, marked revoked or with
//! its new content; every participant learns it through a change-stream entry, online or not.

use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::{self, MAX_MESSAGE_BODY_BYTES};
use mynah_proto::rest_openim::MsgKey;
use mynah_store::{AppId, ConversationKey, HistoryRange, MessageEdit, Revision, StoredMessage};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, convert};

/// The most group messages one recall takes (Tencent: 10).
pub const MAX_GROUP_RECALL: usize = 10;

/// What happened to one group message of a recall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRecall {
    /// Recalled now, or already recalled before.
    Recalled,
    /// There is no message with that sequence.
    NotFound,
}

impl Service {
    /// `admin_msgwithdraw`: recalls the one-to-one message `key` names in the pair's conversation.
    /// 20022 when it does not exist, 20023 when it was recalled already.
    pub async fn recall_c2c_message(&self, app: AppId, from: &str, to: &str, key: &str) -> ServiceResult<()> {
        let (conversation, stored) = self.c2c_message_by_key(app, from, to, key).await?;
        let revision = self
            .store()
            .message_admin
            .revoke_message(app, &conversation, stored.seq)
            .await
            .map_err(|error| ServiceError::from_store("recall", error, ErrorCode::OPENIM_INTERNAL))?;
        self.finish_c2c_revision(app, revision).await.map(|_| ())
    }

    /// `modify_c2c_msg`: replaces the body and/or custom data of the one-to-one message `key` names.
    pub async fn modify_c2c_message(
        &self,
        app: AppId,
        from: &str,
        to: &str,
        key: &str,
        edit: MessageEdit,
    ) -> ServiceResult<mynah_proto::objects::Message> {
        if let Some(body) = &edit.body {
            let size = elements::body_size(body, edit.cloud_custom_data.as_deref().unwrap_or_default());
            if size > MAX_MESSAGE_BODY_BYTES {
                return Err(ServiceError::new(
                    ErrorCode::OPENIM_TOO_LONG,
                    format!("message body is {size} bytes, over {MAX_MESSAGE_BODY_BYTES}"),
                ));
            }
        }
        let (conversation, stored) = self.c2c_message_by_key(app, from, to, key).await?;
        let revision = self
            .store()
            .message_admin
            .modify_message(app, &conversation, stored.seq, edit)
            .await
            .map_err(|error| ServiceError::from_store("edit", error, ErrorCode::OPENIM_INTERNAL))?;
        let message = self.finish_c2c_revision(app, revision).await?;
        Ok(convert::message(&message))
    }

    /// `group_msg_recall`: recalls messages of a group by sequence (at most 10). 10010 when the
    /// group does not exist; each message's own outcome otherwise.
    pub async fn recall_group_messages(
        &self,
        app: AppId,
        group_id: &str,
        seqs: &[u64],
    ) -> ServiceResult<Vec<(u64, GroupRecall)>> {
        if seqs.is_empty() || seqs.len() > MAX_GROUP_RECALL {
            return Err(ServiceError::new(
                ErrorCode::GROUP_INVALID_PARAMETER,
                format!("{} messages given; 1 to {MAX_GROUP_RECALL} per call", seqs.len()),
            ));
        }
        self.existing_group_of(app, group_id).await?;
        let conversation = ConversationKey::group(group_id);
        let mut outcomes = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let revision = self
                .store()
                .message_admin
                .revoke_message(app, &conversation, seq)
                .await
                .map_err(|error| ServiceError::from_store("group recall", error, ErrorCode::GROUP_INTERNAL))?;
            let outcome = match revision {
                Revision::Revised { changes, .. } => {
                    self.publish_changes(app, &changes).await;
                    GroupRecall::Recalled
                }
                Revision::AlreadyRevoked => GroupRecall::Recalled,
                Revision::NotFound => GroupRecall::NotFound,
            };
            outcomes.push((seq, outcome));
        }
        Ok(outcomes)
    }

    /// The message a `MsgKey` names in the conversation of `from` and `to`: its sequence, random
    /// and time must all match. 90054 for a key this server did not make, 20022 for no such message.
    async fn c2c_message_by_key(
        &self,
        app: AppId,
        from: &str,
        to: &str,
        key: &str,
    ) -> ServiceResult<(ConversationKey, StoredMessage)> {
        let parsed = MsgKey::parse(key).filter(|parsed| parsed.seq > 0).ok_or_else(|| {
            ServiceError::new(ErrorCode::OPENIM_BAD_MSG_KEY, format!("MsgKey {key:?} is not seq_random_time"))
        })?;
        let conversation = ConversationKey::c2c(from, to);
        let page = self
            .store()
            .messages
            .history(app, &conversation, HistoryRange::After(parsed.seq - 1), 1)
            .await
            .map_err(|error| ServiceError::from_store("message by key", error, ErrorCode::OPENIM_INTERNAL))?;
        let stored = page
            .into_iter()
            .find(|message| {
                message.seq == parsed.seq && message.random == parsed.random && message.time_ms / 1000 == parsed.time
            })
            .ok_or_else(|| {
                ServiceError::new(ErrorCode::C2C_MESSAGE_NOT_FOUND, format!("no message {key} between {from} and {to}"))
            })?;
        Ok((conversation, stored))
    }

    async fn finish_c2c_revision(&self, app: AppId, revision: Revision) -> ServiceResult<StoredMessage> {
        match revision {
            Revision::Revised { message, changes } => {
                self.publish_changes(app, &changes).await;
                Ok(*message)
            }
            Revision::AlreadyRevoked => {
                Err(ServiceError::new(ErrorCode::C2C_MESSAGE_ALREADY_REVOKED, "the message was recalled already"))
            }
            Revision::NotFound => {
                Err(ServiceError::new(ErrorCode::C2C_MESSAGE_NOT_FOUND, "the message does not exist"))
            }
        }
    }
}

/// A message's `MsgKey`: `{seq}_{random}_{time}`.
pub fn msg_key(message: &mynah_proto::objects::Message) -> String {
    MsgKey { seq: message.sequence, random: message.random, time: message.time }.to_string()
}
