//! Before-send callbacks: the body Tencent sends, and how the reply becomes a verdict.
//!
//! Reply `ErrorCode`: 0 send (rewritten when `MsgBody` or `CloudCustomData` differ), 1 refuse,
//! 2 drop silently (the sender sees success), 120001-130000 refuse with that code and `ErrorInfo`.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::GroupType;
use mynah_proto::webhooks::{C2cMessageCallback, CallbackReply, GroupMessageCallback};
use mynah_service::hooks::{OutgoingMessage, SendVerdict};
use mynah_service::now_ms;

use crate::call::{CallOrigin, call};
use crate::{BEFORE_SEND_TIMEOUT, WebhookConfig, Webhooks};

/// The custom codes an app may return to refuse a message with its own error.
const CUSTOM_CODES: std::ops::RangeInclusive<u32> = 120_001..=130_000;

/// Asks the app's before-send callback about `message`.
pub async fn ask(
    webhooks: &Webhooks,
    config: &WebhookConfig,
    command: &str,
    message: &OutgoingMessage<'_>,
) -> SendVerdict {
    let origin = CallOrigin { client_ip: &message.origin.client_ip, platform: &message.origin.platform };
    let reply = match message.conversation_type {
        ConversationType::C2c => {
            let body = c2c_body(command, message);
            call(webhooks, &config.url, message.app, command, &origin, &body, BEFORE_SEND_TIMEOUT).await
        }
        ConversationType::Group => {
            let body = group_body(command, message);
            call(webhooks, &config.url, message.app, command, &origin, &body, BEFORE_SEND_TIMEOUT).await
        }
    };
    metrics::counter!("mynah_webhook_calls_total", "command" => command.to_owned(), "ok" => reply.is_ok().to_string())
        .increment(1);
    match reply {
        Ok(reply) => verdict(message, reply),
        Err(failure) => {
            tracing::warn!(app = message.app, command, %failure, fail_closed = config.fail_closed, "before-send callback failed");
            if config.fail_closed {
                SendVerdict::Reject {
                    code: rejection_code(message.conversation_type),
                    message: format!("the app's callback failed: {failure}"),
                }
            } else {
                SendVerdict::Send
            }
        }
    }
}

/// Turns a reply into a verdict.
pub fn verdict(message: &OutgoingMessage<'_>, reply: CallbackReply) -> SendVerdict {
    match reply.error_code {
        0 => {
            let body_changed =
                reply.msg_body.as_ref().is_some_and(|body| !body.is_empty() && body.as_slice() != message.msg_body);
            let data_changed = reply.cloud_custom_data.as_ref().is_some_and(|data| data != message.cloud_custom_data);
            if body_changed || data_changed {
                let msg_body =
                    reply.msg_body.filter(|body| !body.is_empty()).unwrap_or_else(|| message.msg_body.to_vec());
                SendVerdict::Rewrite { msg_body, cloud_custom_data: reply.cloud_custom_data }
            } else {
                SendVerdict::Send
            }
        }
        2 => SendVerdict::Discard,
        code if CUSTOM_CODES.contains(&code) => {
            SendVerdict::Reject { code: ErrorCode(code), message: reply.error_info }
        }
        _ => SendVerdict::Reject {
            code: rejection_code(message.conversation_type),
            message: if reply.error_info.is_empty() {
                "refused by the app's callback".to_owned()
            } else {
                reply.error_info
            },
        },
    }
}

fn rejection_code(conversation_type: ConversationType) -> ErrorCode {
    match conversation_type {
        ConversationType::C2c => ErrorCode::C2C_REJECTED_BY_CALLBACK,
        ConversationType::Group => ErrorCode::GROUP_REJECTED_BY_CALLBACK,
    }
}

fn c2c_body(command: &str, message: &OutgoingMessage<'_>) -> C2cMessageCallback {
    let now = now_ms();
    C2cMessageCallback {
        callback_command: command.to_owned(),
        from_account: message.from.to_owned(),
        to_account: message.to.to_owned(),
        // The sequence is assigned when the message is stored, after this callback.
        msg_seq: 0,
        msg_random: message.random,
        msg_time: now / 1000,
        msg_key: String::new(),
        msg_id: String::new(),
        online_only_flag: u8::from(message.online_only),
        msg_body: message.msg_body.to_vec(),
        cloud_custom_data: message.cloud_custom_data.to_owned(),
        send_msg_result: None,
        unread_msg_num: None,
        event_time: now,
    }
}

fn group_body(command: &str, message: &OutgoingMessage<'_>) -> GroupMessageCallback {
    GroupMessageCallback {
        callback_command: command.to_owned(),
        group_id: message.to.to_owned(),
        group_type: message.group_type.map(rest_group_type).unwrap_or_default().to_owned(),
        from_account: message.from.to_owned(),
        operator_account: message.from.to_owned(),
        random: message.random,
        online_only_flag: u8::from(message.online_only),
        msg_body: message.msg_body.to_vec(),
        cloud_custom_data: message.cloud_custom_data.to_owned(),
        msg_seq: None,
        msg_time: None,
        event_time: now_ms(),
    }
}

/// The REST API's name of a group type (`Work`, `Public`, `Meeting`, `AVChatRoom`, `Community`).
pub fn rest_group_type(group_type: GroupType) -> &'static str {
    match group_type {
        GroupType::Work => "Work",
        GroupType::Public => "Public",
        GroupType::Meeting => "Meeting",
        GroupType::AVChatRoom => "AVChatRoom",
        GroupType::Community => "Community",
    }
}
