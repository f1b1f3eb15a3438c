//! History: paging a conversation's stored messages, and finding one message by ID. Only the two
//! users of a C2C conversation and the members of a group can read it.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::{ConversationRef, ConversationType};
use mynah_proto::objects::Message;
use mynah_proto::requests::{FindMessageRequest, GetMessageListRequest, GetMessageListResult};
use mynah_store::{ConversationKey, HistoryRange};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, Session, convert};

/// Messages per page when the client does not say (the SDK's documented page size).
pub const DEFAULT_PAGE_SIZE: u32 = 15;
/// The most messages one page returns.
pub const MAX_PAGE_SIZE: u32 = 100;

impl Service {
    /// One page of a conversation's history, oldest first.
    pub async fn get_message_list(
        &self,
        session: &Session,
        request: GetMessageListRequest,
    ) -> ServiceResult<GetMessageListResult> {
        let reference = self.readable_conversation(session, &request.conversation_id).await?;
        let key = ConversationKey::for_viewer(&session.user, &reference);
        let count = request.count.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let range = match request.after_sequence {
            Some(after) => HistoryRange::After(after),
            None => HistoryRange::Before(request.before_sequence),
        };
        // One more than asked tells whether anything remains beyond the page.
        let mut page = self
            .store()
            .messages
            .history(session.app, &key, range, count + 1)
            .await
            .map_err(|error| ServiceError::from_store("getMessageList", error, internal_code(&reference)))?;
        let is_completed = page.len() <= count as usize;
        page.truncate(count as usize);
        if matches!(range, HistoryRange::Before(_)) {
            page.reverse();
        }
        Ok(GetMessageListResult { message_list: page.iter().map(convert::message).collect(), is_completed })
    }

    /// One message by its ID, if the session's user may read it.
    pub async fn find_message(&self, session: &Session, request: FindMessageRequest) -> ServiceResult<Message> {
        let not_found = || {
            ServiceError::new(ErrorCode::MESSAGE_NOT_FOUND, format!("message {} does not exist", request.message_id))
        };
        let stored = self
            .store()
            .messages
            .find_message(session.app, &request.message_id)
            .await
            .map_err(|error| ServiceError::from_store("findMessage", error, ErrorCode::C2C_INTERNAL))?
            .ok_or_else(not_found)?;
        let visible = match stored.conversation.conversation_type() {
            ConversationType::C2c => stored.sender == session.user || stored.receiver == session.user,
            // Not a member (or the group is gone): the message is not the user's to see. Any other
            // failure is the server's, and says nothing about the message.
            ConversationType::Group => match self.require_member(session, &stored.receiver).await {
                Ok(_) => true,
                Err(error) if [ErrorCode::GROUP_NO_PERMISSION, ErrorCode::GROUP_NOT_FOUND].contains(&error.code) => {
                    false
                }
                Err(error) => return Err(error),
            },
        };
        if !visible {
            return Err(not_found());
        }
        Ok(convert::message(&stored))
    }

    /// Parses a conversation ID and checks the session's user may read it.
    pub(crate) async fn readable_conversation(
        &self,
        session: &Session,
        conversation_id: &str,
    ) -> ServiceResult<ConversationRef> {
        let reference = ConversationRef::parse(conversation_id).ok_or_else(|| {
            ServiceError::new(ErrorCode::C2C_INVALID_REQUEST, format!("invalid conversationID {conversation_id:?}"))
        })?;
        if reference.conversation_type == ConversationType::Group {
            self.require_member(session, &reference.target).await?;
        }
        Ok(reference)
    }
}

/// The internal-error code of a conversation's family: 10002 for a group, 20005 one-to-one.
pub(crate) fn internal_code(reference: &ConversationRef) -> ErrorCode {
    match reference.conversation_type {
        ConversationType::Group => ErrorCode::GROUP_INTERNAL,
        ConversationType::C2c => ErrorCode::C2C_INTERNAL,
    }
}
