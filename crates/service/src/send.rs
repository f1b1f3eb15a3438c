//! Sending messages: validation, the durable append, and delivery to every session that should see
//! the message (all sessions of the receivers, the sender's other sessions, never the sending one).

use mynah_bus::{Delivery, SharedPush};
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::{self, MAX_MESSAGE_BODY_BYTES};
use mynah_proto::frames::Push;
use mynah_proto::ids::{ConversationType, SYSTEM_CONVERSATION_ID};
use mynah_proto::objects::Message;
use mynah_proto::requests::{SendMessageRequest, SendMessageResult};
use mynah_store::{ConversationKey, MemberRecord, NewMessage, message_id};

use crate::error::{ServiceError, ServiceResult};
use crate::{Service, Session, convert, now_ms, validate};

impl Service {
    /// Sends a message. Stored messages are acknowledged only once durable; online-only messages
    /// are delivered to whoever is online and never stored.
    pub async fn send_message(&self, session: &Session, request: SendMessageRequest) -> ServiceResult<SendMessageResult> {
        if request.to == SYSTEM_CONVERSATION_ID {
            return Err(ServiceError::new(ErrorCode::SYSTEM_CONVERSATION_READ_ONLY, "the system conversation is read-only"));
        }
        validate::client_msg_id(&request.client_msg_id)?;
        if request.msg_body.is_empty() {
            return Err(ServiceError::new(ErrorCode::C2C_INVALID_REQUEST, "msgBody is empty"));
        }
        let body_size = elements::body_size(&request.msg_body, &request.cloud_custom_data);
        if body_size > MAX_MESSAGE_BODY_BYTES {
            return Err(ServiceError::new(
                ErrorCode::MESSAGE_TOO_LONG,
                format!("message body is {body_size} bytes, over {MAX_MESSAGE_BODY_BYTES}"),
            ));
        }

        let (conversation, receivers) = match request.conversation_type {
            ConversationType::C2c => {
                validate::user_id(&request.to, ErrorCode::C2C_INVALID_USER)?;
                let mut receivers = vec![request.to.clone()];
                if request.to != session.user {
                    receivers.push(session.user.clone());
                }
                (ConversationKey::c2c(&session.user, &request.to), receivers)
            }
            ConversationType::Group => {
                self.require_member(session, &request.to).await?;
                let members = self
                    .store()
                    .groups
                    .member_ids(session.app, &request.to)
                    .await
                    .map_err(|error| ServiceError::from_store("sendMessage", error, ErrorCode::GROUP_INTERNAL))?;
                (ConversationKey::group(&request.to), members)
            }
        };

        let (message, duplicate) = if request.online_user_only {
            (online_only_message(session, request), false)
        } else {
            let new_message = NewMessage {
                app: session.app,
                conversation,
                sender: session.user.clone(),
                receiver: request.to,
                client_msg_id: request.client_msg_id,
                random: request.random,
                time_ms: now_ms(),
                body: request.msg_body,
                cloud_custom_data: request.cloud_custom_data,
                priority: request.priority,
                need_read_receipt: request.need_read_receipt,
                excluded_from_unread_count: request.excluded_from_unread_count,
                excluded_from_last_message: request.excluded_from_last_message,
            };
            let appended = self
                .store()
                .messages
                .append_message(new_message)
                .await
                .map_err(|error| ServiceError::from_store("sendMessage", error, ErrorCode::C2C_INVALID_REQUEST))?;
            (convert::message(&appended.message), appended.duplicate)
        };

        // A resend of a stored message was delivered the first time; delivering it again would
        // duplicate it on every receiver.
        if !duplicate {
            metrics::counter!("mynah_messages_sent_total").increment(1);
            let receivers: Vec<&str> = receivers.iter().map(String::as_str).collect();
            let push = SharedPush::new(Push::Message(message.clone()));
            self.bus().publish(session.app, &receivers, Delivery::Push { push, except_session: Some(session.session_id) });
        }
        Ok(SendMessageResult { message, duplicate })
    }

    /// Fails with 10007 unless the session's user is a member of the group (10010 when the group
    /// does not exist).
    pub(crate) async fn require_member(&self, session: &Session, group_id: &str) -> ServiceResult<MemberRecord> {
        let store_error = |error| ServiceError::from_store("group membership", error, ErrorCode::GROUP_INTERNAL);
        if let Some(member) = self.store().groups.get_member(session.app, group_id, &session.user).await.map_err(store_error)? {
            return Ok(member);
        }
        if self.store().groups.get_group(session.app, group_id).await.map_err(store_error)?.is_none() {
            return Err(ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist")));
        }
        Err(ServiceError::new(ErrorCode::GROUP_NO_PERMISSION, format!("{} is not a member of group {group_id}", session.user)))
    }
}

fn online_only_message(session: &Session, request: SendMessageRequest) -> Message {
    let time_ms = now_ms();
    Message {
        id: message_id(&session.user, &request.client_msg_id),
        conversation_type: request.conversation_type,
        from: session.user.clone(),
        to: request.to,
        sequence: 0,
        random: request.random,
        time: time_ms / 1000,
        time_ms,
        client_msg_id: request.client_msg_id,
        msg_body: request.msg_body,
        cloud_custom_data: request.cloud_custom_data,
        priority: request.priority,
        need_read_receipt: request.need_read_receipt,
        is_revoked: false,
        online_only: true,
        excluded_from_unread_count: true,
        excluded_from_last_message: true,
    }
}
