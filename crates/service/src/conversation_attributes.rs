//! A user's own attributes of a conversation (its pin, its custom data), set from one device and
//! told to the user's other devices through the change stream.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::{ConversationRef, ConversationType};
use mynah_proto::objects::Conversation;
use mynah_proto::requests::{
    ConversationBatchResult, ConversationFailure, PinConversationRequest, SetConversationCustomDataRequest,
};
use mynah_store::{ConversationKey, StoreError};

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
        crate::validate::bounded(
            "customData",
            &request.custom_data,
            MAX_CUSTOM_DATA_BYTES,
            ErrorCode::C2C_INVALID_REQUEST,
        )?;
        let count = request.conversation_id_list.len();
        if count == 0 || count > MAX_BATCH_CONVERSATIONS {
            return Err(ServiceError::new(
                ErrorCode::C2C_INVALID_REQUEST,
                format!("conversationIDList names {count} conversations: 1-{MAX_BATCH_CONVERSATIONS}"),
            ));
        }
        let mut result = ConversationBatchResult::default();
        for conversation_id in request.conversation_id_list {
            match self.set_custom_data_of(session, &conversation_id, &request.custom_data).await {
                Ok(()) => result.success_conversation_id_list.push(conversation_id),
                Err(error) => result.failure_conversation_id_list.push(ConversationFailure {
                    conversation_id,
                    code: error.code.0,
                    message: error.message,
                }),
            }
        }
        Ok(result)
    }

    /// Sets the custom data of one conversation and tells the user's sessions when it changed.
    async fn set_custom_data_of(
        &self,
        session: &Session,
        conversation_id: &str,
        custom_data: &str,
    ) -> ServiceResult<()> {
        let reference = self.readable_conversation(session, conversation_id).await?;
        let key = ConversationKey::for_viewer(&session.user, &reference);
        let changed = self
            .store()
            .conversations
            .set_custom_data(session.app, &session.user, &key, custom_data)
            .await
            .map_err(|error| attribute_error("setConversationCustomData", error, &reference))?;
        if let Some(change) = changed.change {
            self.publish_changes(session.app, &[change]).await;
        }
        Ok(())
    }
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
