//! A user's own attributes of a conversation (pinning), set from one device and told to the
//! user's other devices through the change stream.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::{ConversationRef, ConversationType};
use mynah_proto::objects::{Change, Conversation};
use mynah_proto::requests::PinConversationRequest;
use mynah_store::{ConversationKey, StoreError};

use crate::error::{ServiceError, ServiceResult};
use crate::history::internal_code;
use crate::{Service, Session};

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
}

/// The wire form of a `ConversationPinned` record for `viewer`.
pub(crate) fn pinned_change(viewer: &str, conversation: &str, pinned: bool) -> Change {
    Change::ConversationPinned {
        conversation_id: ConversationKey::from_stored(conversation.to_owned()).to_ref(viewer).id(),
        is_pinned: pinned,
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
