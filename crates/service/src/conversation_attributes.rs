//! A user's own attributes of a conversation (its pin, custom data and marks), set from one device
//! and told to the user's other devices through the change stream.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::{ConversationRef, ConversationType};
use mynah_proto::objects::Conversation;
use mynah_proto::requests::{
    ConversationBatchResult, ConversationFailure, MarkConversationRequest, PinConversationRequest,
    SetConversationCustomDataRequest,
};
use mynah_store::{ConversationChanged, ConversationKey, StoreError};

use crate::error::{ServiceError, ServiceResult};
use crate::history::internal_code;
use crate::{Service, Session};

/// The longest custom data of a conversation, in bytes (Tencent: 256).
pub const MAX_CUSTOM_DATA_BYTES: usize = 256;
/// The most conversations one batch operation names (Tencent's batch limit of `deleteConversation`).
pub const MAX_BATCH_CONVERSATIONS: usize = 100;

impl Service {
    /// Pins or unpins one of the user's conversations. The conversation must be one the user has
    /// (a group the user is a member of, a one-to-one conversation with a message); the user's
    /// sessions learn it through a `conversationPinned` change when it changed anything.
    pub async fn pin_conversation(
        &self,
        session: &Session,
        request: PinConversationRequest,
    ) -> ServiceResult<Conversation> {
        let reference = self.readable_conversation(session, &request.conversation_id).await?;
        let key = ConversationKey::for_viewer(&session.user, &reference);
        let changed = self
            .store()
            .conversations
            .set_pinned(session.app, &session.user, &key, request.is_pinned)
            .await
            .map_err(|error| attribute_error("pinConversation", error, &reference))?;
        if let Some(change) = changed.change {
            self.publish_changes(session.app, &[change]).await;
        }
        self.with_peer_profile(session, &changed.conversation).await
    }

    /// Sets the user's custom data of each listed conversation. The whole request is refused
    /// (`20001`) for custom data over 256 bytes or an empty or over-long list; each conversation the
    /// user does not have is refused on its own, in `failureConversationIDList`.
    pub async fn set_conversation_custom_data(
        &self,
        session: &Session,
        request: SetConversationCustomDataRequest,
    ) -> ServiceResult<ConversationBatchResult> {
        let invalid = ErrorCode::C2C_INVALID_REQUEST;
        crate::validate::bounded("customData", &request.custom_data, MAX_CUSTOM_DATA_BYTES, invalid)?;
        let custom_data = request.custom_data.as_str();
        self.for_each_conversation(session, request.conversation_id_list, |app, user, key| async move {
            self.store().conversations.set_custom_data(app, &user, &key, custom_data).await
        })
        .await
    }

    /// Sets or clears one mark of each listed conversation. The whole request is refused (`20001`)
    /// for a mark that is not 1, 2, 4, 8 or `2^n` with `32 <= n < 64`, or an empty or over-long
    /// list; each conversation the user does not have is refused on its own.
    pub async fn mark_conversation(
        &self,
        session: &Session,
        request: MarkConversationRequest,
    ) -> ServiceResult<ConversationBatchResult> {
        let mark = mark_bit(request.mark_type).ok_or_else(|| {
            ServiceError::new(
                ErrorCode::C2C_INVALID_REQUEST,
                format!("invalid markType {}: 1, 2, 4, 8 or 2^n with 32 <= n < 64", request.mark_type),
            )
        })?;
        let enable = request.enable_mark;
        self.for_each_conversation(session, request.conversation_id_list, |app, user, key| async move {
            self.store().conversations.set_mark(app, &user, &key, mark, enable).await
        })
        .await
    }

    /// Runs one attribute write on each listed conversation the user has, telling the user's
    /// sessions of each change; a conversation refused goes to `failureConversationIDList`.
    async fn for_each_conversation<F, Fut>(
        &self,
        session: &Session,
        conversation_ids: Vec<String>,
        write: F,
    ) -> ServiceResult<ConversationBatchResult>
    where
        F: Fn(u64, String, ConversationKey) -> Fut,
        Fut: std::future::Future<Output = Result<ConversationChanged, StoreError>>,
    {
        let count = conversation_ids.len();
        if count == 0 || count > MAX_BATCH_CONVERSATIONS {
            return Err(ServiceError::new(
                ErrorCode::C2C_INVALID_REQUEST,
                format!("conversationIDList names {count} conversations: 1-{MAX_BATCH_CONVERSATIONS}"),
            ));
        }
        let mut result = ConversationBatchResult::default();
        for conversation_id in conversation_ids {
            let outcome = match self.readable_conversation(session, &conversation_id).await {
                Ok(reference) => {
                    let key = ConversationKey::for_viewer(&session.user, &reference);
                    write(session.app, session.user.clone(), key)
                        .await
                        .map_err(|error| attribute_error("conversation attribute", error, &reference))
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(changed) => {
                    if let Some(change) = changed.change {
                        self.publish_changes(session.app, &[change]).await;
                    }
                    result.success_conversation_id_list.push(conversation_id);
                }
                Err(error) => result.failure_conversation_id_list.push(ConversationFailure {
                    conversation_id,
                    code: error.code.0,
                    message: error.message,
                }),
            }
        }
        Ok(result)
    }
}

/// The bit of a mark value: 1, 2, 4 and 8 are the SDK's `CONV_MARK_TYPE_*`, `2^32` to `2^63` the
/// custom marks (Tencent: custom marks must not clash with the built-in ones and be `2^n`,
/// `32 <= n < 64`).
fn mark_bit(mark_type: f64) -> Option<u64> {
    (0..64u32)
        .filter(|bit| *bit < 4 || *bit >= 32)
        .map(|bit| 1u64 << bit)
        // Every power of two below 2^64 is an exact double, so the comparison is exact.
        .find(|mark| *mark as f64 == mark_type)
}

/// A store error of an attribute write as the client sees it: a conversation the user does not
/// have is refused like an invalid one (`20001` one-to-one, `10007` for a group the user is not
/// in any more), anything else is the family's internal error.
fn attribute_error(operation: &str, error: StoreError, reference: &ConversationRef) -> ServiceError {
    match error {
        StoreError::NotFound(_) => {
            let code = match reference.conversation_type {
                ConversationType::C2c => ErrorCode::C2C_INVALID_REQUEST,
                ConversationType::Group => ErrorCode::GROUP_NO_PERMISSION,
            };
            ServiceError::new(code, format!("no conversation {:?} to change", reference.id()))
        }
        other => ServiceError::from_store(operation, other, internal_code(reference)),
    }
}
