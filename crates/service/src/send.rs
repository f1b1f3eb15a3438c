//! Sending messages: validation, the before-send webhook, the durable append, and delivery to every
//! session that should see the message (all sessions of the receivers, the sender's other sessions,
//! never the sending one).

use mynah_bus::{SessionId, SharedPush};
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::{self, MAX_MESSAGE_BODY_BYTES, MsgElement};
use mynah_proto::frames::Push;
use mynah_proto::ids::{ConversationType, SYSTEM_CONVERSATION_ID};
use mynah_proto::objects::Message;
use mynah_proto::requests::{SendMessageRequest, SendMessageResult};
use mynah_store::{
    AfterSendHook, AppId, ConversationKey, MemberRecord, NewMessage, SenderProfile, StoreError, message_id,
};

use crate::error::{ServiceError, ServiceResult};
use crate::hooks::{OutgoingMessage, SendVerdict};
use crate::sequencer::{Outgoing, OwnedTopic};
use crate::{Origin, Service, Session, convert, now_ms, validate};

/// Who sends a message, and how: a session of the SDK, or an administrator acting for a user.
#[derive(Clone, Debug)]
pub struct Sender<'a> {
    pub app: AppId,
    pub user: &'a str,
    /// The sending session, which never receives its own message back.
    pub session: Option<SessionId>,
    pub origin: &'a Origin,
    /// Group messages need the sender to be a member (administrators may send without).
    pub must_be_member: bool,
    /// Deliver to the sender's own sessions too (for C2C, the sender's other devices). A group
    /// message reaches every member's sessions through the group topic, the sender's included.
    pub deliver_to_sender: bool,
}

/// Which append a message takes: a member's (the store checks membership) or an administrator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Append {
    Member,
    Admin,
}

/// Where the append and push of a message run: on the request's own future, or on a task of their
/// own that finishes even if the request is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Run {
    Inline,
    Detached,
}

/// Where a committed message is pushed.
pub(crate) struct Fanout {
    pub topics: Vec<OwnedTopic>,
    /// The sending session, which never receives its own message back.
    pub except_session: Option<SessionId>,
}

impl Service {
    /// Sends a message from a session. Stored messages are acknowledged only once durable;
    /// online-only messages are delivered to whoever is online and never stored.
    pub async fn send_message(
        &self,
        session: &Session,
        request: SendMessageRequest,
    ) -> ServiceResult<SendMessageResult> {
        // The server's own prefixes are refused here, on the SDK's path only: administrative sends
        // use them and take `send_as` directly.
        validate::sdk_client_msg_id(&request.client_msg_id)?;
        let origin = session.origin();
        let sender = Sender {
            app: session.app,
            user: &session.user,
            session: Some(session.session_id),
            origin: &origin,
            must_be_member: true,
            deliver_to_sender: true,
        };
        self.send_as(&sender, request).await
    }

    /// Sends a message for `sender`: the one path every send takes, SDK and administrative alike.
    pub async fn send_as(
        &self,
        sender: &Sender<'_>,
        mut request: SendMessageRequest,
    ) -> ServiceResult<SendMessageResult> {
        if request.to == SYSTEM_CONVERSATION_ID {
            return Err(ServiceError::new(
                ErrorCode::SYSTEM_CONVERSATION_READ_ONLY,
                "the system conversation is read-only",
            ));
        }
        validate::client_msg_id(&request.client_msg_id)?;
        check_body(&request.msg_body, &request.cloud_custom_data)?;
        if !request.receiver_list.is_empty() {
            // Refused, not dropped: dropping it would send a message meant for a few members to the
            // whole group. Served when targeted messages are (issue 14).
            let code = match request.conversation_type {
                ConversationType::Group => ErrorCode::GROUP_INVALID_PARAMETER,
                ConversationType::C2c => ErrorCode::C2C_INVALID_REQUEST,
            };
            return Err(ServiceError::new(code, "receiverList (targeted group messages) is not supported yet"));
        }
        if sender.session.is_some() && !self.user_rate().admit(sender.app, sender.user) {
            return Err(ServiceError::new(ErrorCode::RATE_LIMITED, "send rate over the per-user limit"));
        }

        let (conversation, topics, group_type, name_card) = match request.conversation_type {
            ConversationType::C2c => {
                validate::user_id(&request.to, ErrorCode::C2C_INVALID_USER)?;
                let mut topics = vec![OwnedTopic::User(request.to.clone())];
                if request.to != sender.user && sender.deliver_to_sender {
                    topics.push(OwnedTopic::User(sender.user.to_owned()));
                }
                (ConversationKey::c2c(sender.user, &request.to), topics, None, String::new())
            }
            ConversationType::Group => {
                // Membership is one point lookup, and delivery goes to the group's topic: no send
                // reads the member list. The group row is read only when needed (to tell "no
                // group" from "not a member", for an administrator's send, or for a webhook that
                // reports the group type). The store's append enforces membership again.
                let membership =
                    if sender.must_be_member {
                        self.store().groups.get_member(sender.app, &request.to, sender.user).await.map_err(|error| {
                            ServiceError::from_store("sendMessage", error, ErrorCode::GROUP_INTERNAL)
                        })?
                    } else {
                        None
                    };
                let is_member = membership.is_some();
                let needs_group_row =
                    !is_member || self.hooks().before_send_enabled(sender.app, ConversationType::Group);
                let group_type = if needs_group_row {
                    Some(self.existing_group_of(sender.app, &request.to).await?.group_type)
                } else {
                    None
                };
                if sender.must_be_member && !is_member {
                    return Err(ServiceError::new(
                        ErrorCode::GROUP_NO_PERMISSION,
                        format!("{} is not a member of group {}", sender.user, request.to),
                    ));
                }
                // The mute comes with the membership lookup: no extra read. (An administrator's
                // send through REST is not a member's and is never muted.)
                if let Some(member) = membership.as_ref().filter(|member| member.mute_until_ms > now_ms()) {
                    return Err(ServiceError::new(
                        ErrorCode::GROUP_MEMBER_MUTED,
                        format!(
                            "{} is muted in group {} until {} (unix ms)",
                            member.user, request.to, member.mute_until_ms
                        ),
                    ));
                }
                // The sender's name card is stamped on the message as it is now, like its nick.
                let name_card = membership.map(|member| member.name_card).unwrap_or_default();
                (
                    ConversationKey::group(&request.to),
                    vec![OwnedTopic::Group(request.to.clone())],
                    group_type,
                    name_card,
                )
            }
        };

        // Tencent stamps the sender's nick and avatar on a message when it is sent: one point read.
        // A store failure is answered like one of the append below.
        let stamp =
            self.sender_profile(sender.app, sender.user, ("sendMessage", send_internal_code(sender, &request))).await?;

        let mut modified = false;
        if self.hooks().before_send_enabled(sender.app, request.conversation_type) {
            // A resend was judged the first time; asking again could change a stored message.
            if let Some(original) = self.stored_original(sender, &request).await? {
                return Ok(original);
            }
            let outgoing = OutgoingMessage {
                app: sender.app,
                conversation_type: request.conversation_type,
                from: sender.user,
                to: &request.to,
                group_type,
                msg_body: &request.msg_body,
                cloud_custom_data: &request.cloud_custom_data,
                random: request.random,
                online_only: request.online_user_only,
                origin: sender.origin,
            };
            match self.hooks().before_send(&outgoing).await {
                SendVerdict::Send => {}
                SendVerdict::Rewrite { msg_body, cloud_custom_data } => {
                    request.msg_body = msg_body;
                    if let Some(cloud_custom_data) = cloud_custom_data {
                        request.cloud_custom_data = cloud_custom_data;
                    }
                    check_body(&request.msg_body, &request.cloud_custom_data)?;
                    modified = true;
                }
                SendVerdict::Reject { code, message } => return Err(ServiceError::new(code, message)),
                SendVerdict::Discard => {
                    let message = unstored_message(sender.user, &stamp, &name_card, request);
                    return Ok(SendMessageResult { message, duplicate: false, modified: false });
                }
            }
        }

        // Over the group's rate the message is reported as sent but neither stored nor delivered
        // (Tencent's documented behaviour); the before-send webhook has fired, no after-send will.
        if request.conversation_type == ConversationType::Group
            && !self.group_rate().admit(sender.app, &request.to, request.priority)
        {
            // A resend of a stored message gets the stored original, whatever the rate now.
            if let Some(original) = self.stored_original(sender, &request).await? {
                return Ok(original);
            }
            metrics::counter!("mynah_group_messages_rate_dropped_total").increment(1);
            let message = unstored_message(sender.user, &stamp, &name_card, request);
            return Ok(SendMessageResult { message, duplicate: false, modified });
        }

        if request.online_user_only {
            // Never stored, so it has no sequence to keep in order: delivered to whoever is online.
            let message = unstored_message(sender.user, &stamp, &name_card, request);
            metrics::counter!("mynah_messages_sent_total").increment(1);
            let push = SharedPush::new(Push::Message(message.clone()));
            Outgoing { push, topics, except_session: sender.session }.publish(self.bus(), sender.app).await;
            return Ok(SendMessageResult { message, duplicate: false, modified });
        }
        let after_send_hook =
            self.hooks().after_send_command(sender.app, request.conversation_type).map(|command| AfterSendHook {
                command: command.to_owned(),
                client_ip: sender.origin.client_ip.clone(),
                platform: sender.origin.platform.clone(),
            });
        let (conversation_type, internal) = (request.conversation_type, send_internal_code(sender, &request));
        let new_message = NewMessage {
            app: sender.app,
            conversation,
            sender: sender.user.to_owned(),
            receiver: request.to,
            client_msg_id: request.client_msg_id,
            random: request.random,
            // Stamped by the store in the write that assigns the sequence.
            time_ms: None,
            body: request.msg_body,
            cloud_custom_data: request.cloud_custom_data,
            priority: request.priority,
            need_read_receipt: request.need_read_receipt,
            excluded_from_unread_count: request.excluded_from_unread_count,
            excluded_from_last_message: request.excluded_from_last_message,
            nick: stamp.nick,
            avatar: stamp.avatar,
            name_card,
            after_send_hook,
        };
        // An administrator's group message needs no membership; the store knows both appends.
        let append = if sender.must_be_member { Append::Member } else { Append::Admin };
        let fanout = Fanout { topics, except_session: sender.session };
        // A session's send is finished by the gateway if the session ends; an administrator's is not.
        let run = if sender.session.is_some() { Run::Inline } else { Run::Detached };
        let (message, duplicate) =
            self.commit_and_publish(new_message, append, fanout, run).await.map_err(|error| match error {
                // The group was dismissed between the service's check and the append.
                StoreError::NotFound(_) if conversation_type == ConversationType::Group => {
                    ServiceError::new(ErrorCode::GROUP_NOT_FOUND, "the group does not exist")
                }
                other => ServiceError::from_store("sendMessage", other, internal),
            })?;
        Ok(SendMessageResult { message, duplicate, modified })
    }

    /// The answer to a resend of a message already stored, if the request's `clientMsgID` is one:
    /// the stored original, marked as a duplicate. A store failure is the server's, reported as
    /// such: taking it for "not sent yet" could send the message a second time.
    async fn stored_original(
        &self,
        sender: &Sender<'_>,
        request: &SendMessageRequest,
    ) -> ServiceResult<Option<SendMessageResult>> {
        let id = message_id(sender.user, &request.client_msg_id);
        let original = self
            .store()
            .messages
            .find_message(sender.app, &id)
            .await
            .map_err(|error| ServiceError::from_store("sendMessage", error, send_internal_code(sender, request)))?;
        Ok(original.map(|original| SendMessageResult {
            message: convert::message(&original),
            duplicate: true,
            modified: false,
        }))
    }

    /// Appends a message and publishes it in its conversation's sequence order. A committed
    /// message must be pushed even if the request is dropped between the commit and the push (its
    /// client went away): a session's requests are finished by the gateway when the session ends,
    /// so they run inline; an administrator's (REST: the HTTP server drops a handler whose client
    /// disconnects) runs on its own task. A task per send would cost every SDK send a cross-thread
    /// wake-up (P3: ~12 µs of server CPU per message). A store failure is returned as it is, for
    /// the caller to answer in its family's codes.
    pub(crate) async fn commit_and_publish(
        &self,
        new_message: NewMessage,
        append: Append,
        fanout: Fanout,
        run: Run,
    ) -> Result<(Message, bool), StoreError> {
        let service = self.clone();
        let committing = async move {
            let ticket = service.sequencer().begin(new_message.app, new_message.conversation.as_str());
            let appended = match append {
                Append::Member => service.store().messages.append_message(new_message).await,
                Append::Admin => service.store().message_admin.append_admin_message(new_message).await,
            }?;
            let message = convert::message(&appended.message);
            // A resend of a stored message was delivered the first time; delivering it again would
            // duplicate it on every receiver. Dropping the ticket says so to the sequencer.
            if !appended.duplicate {
                metrics::counter!("mynah_messages_sent_total").increment(1);
                let push = SharedPush::new(Push::Message(message.clone()));
                let outgoing = Outgoing { push, topics: fanout.topics, except_session: fanout.except_session };
                ticket.publish(appended.message.seq, outgoing).await;
            }
            Ok((message, appended.duplicate))
        };
        match run {
            Run::Inline => committing.await,
            Run::Detached => tokio::spawn(committing)
                .await
                .unwrap_or_else(|error| Err(StoreError::Backend(format!("the append task failed: {error}")))),
        }
    }

    /// Fails with 10007 unless the session's user is a member of the group (10010 when the group
    /// does not exist).
    pub(crate) async fn require_member(&self, session: &Session, group_id: &str) -> ServiceResult<MemberRecord> {
        self.require_membership(session.app, &session.user, group_id).await
    }

    /// Fails with 10007 unless `user` is a member of the group (10010 when it does not exist).
    pub(crate) async fn require_membership(
        &self,
        app: AppId,
        user: &str,
        group_id: &str,
    ) -> ServiceResult<MemberRecord> {
        let store_error = |error| ServiceError::from_store("group membership", error, ErrorCode::GROUP_INTERNAL);
        if let Some(member) = self.store().groups.get_member(app, group_id, user).await.map_err(store_error)? {
            return Ok(member);
        }
        self.existing_group_of(app, group_id).await?;
        Err(ServiceError::new(ErrorCode::GROUP_NO_PERMISSION, format!("{user} is not a member of group {group_id}")))
    }

    /// The group, or 10010 when it does not exist.
    pub(crate) async fn existing_group_of(
        &self,
        app: AppId,
        group_id: &str,
    ) -> ServiceResult<mynah_store::GroupRecord> {
        self.store()
            .groups
            .get_group(app, group_id)
            .await
            .map_err(|error| ServiceError::from_store("group lookup", error, ErrorCode::GROUP_INTERNAL))?
            .ok_or_else(|| ServiceError::new(ErrorCode::GROUP_NOT_FOUND, format!("group {group_id} does not exist")))
    }
}

/// The internal-error code of a send: 10002 for a group, 20005 for a one-to-one message from a
/// session, 91000 for one from the REST API (the `openim` service's).
fn send_internal_code(sender: &Sender<'_>, request: &SendMessageRequest) -> ErrorCode {
    match request.conversation_type {
        ConversationType::Group => ErrorCode::GROUP_INTERNAL,
        ConversationType::C2c if sender.session.is_some() => ErrorCode::C2C_INTERNAL,
        ConversationType::C2c => ErrorCode::OPENIM_INTERNAL,
    }
}

/// Checks a body against the documented limits: not empty, at most 12 KB.
fn check_body(msg_body: &[MsgElement], cloud_custom_data: &str) -> ServiceResult<()> {
    if msg_body.is_empty() {
        return Err(ServiceError::new(ErrorCode::C2C_INVALID_REQUEST, "msgBody is empty"));
    }
    let body_size = elements::body_size(msg_body, cloud_custom_data);
    if body_size > MAX_MESSAGE_BODY_BYTES {
        return Err(ServiceError::new(
            ErrorCode::MESSAGE_TOO_LONG,
            format!("message body is {body_size} bytes, over {MAX_MESSAGE_BODY_BYTES}"),
        ));
    }
    Ok(())
}

/// A message that is delivered (or dropped) without being stored: sequence 0.
fn unstored_message(sender: &str, stamp: &SenderProfile, name_card: &str, request: SendMessageRequest) -> Message {
    let time_ms = now_ms();
    Message {
        id: message_id(sender, &request.client_msg_id),
        conversation_type: request.conversation_type,
        from: sender.to_owned(),
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
        online_only: request.online_user_only,
        excluded_from_unread_count: true,
        excluded_from_last_message: true,
        nick: stamp.nick.clone(),
        avatar: stamp.avatar.clone(),
        name_card: name_card.to_owned(),
        counted_index: 0,
    }
}
