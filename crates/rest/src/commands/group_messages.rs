//! `group_open_http_svc`, messages: send, system notices, recall, and history.

use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MessagePriority;
use mynah_proto::rest_groups::*;
use mynah_service::Service;
use mynah_service::admin_messages::AdminMessage;
use mynah_service::revisions::GroupRecall;

use super::input::{msg_body, random, required, send_msg_control};
use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// `v4/group_open_http_svc/send_group_msg`: sent as `From_Account` (the administrator when absent),
/// who need not be a member; every member's sessions receive it. `To_Account` (a targeted message)
/// is refused with 10004.
pub async fn send_group_msg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: SendGroupMsgRequest = parse(body)?;
    let invalid = ErrorCode::GROUP_INVALID_PARAMETER;
    let group_id = required(request.group_id, "GroupId", invalid)?;
    let random = random(request.random, "Random", invalid)?;
    let priority = match request.msg_priority.as_deref() {
        None | Some("") => MessagePriority::Normal,
        Some(name) => MessagePriority::parse(name)
            .ok_or_else(|| RestError::new(invalid, format!("unknown MsgPriority {name:?}")))?,
    };
    let body = msg_body(request.msg_body.as_ref(), &request.cloud_custom_data, invalid, ErrorCode::MESSAGE_TOO_LONG)?;
    let from = request.from_account.filter(|from| !from.is_empty()).unwrap_or_else(|| admin.identifier.clone());
    if !service.account_exists(admin.app, &from).await? {
        return Err(RestError::new(ErrorCode::GROUP_ACCOUNT_NOT_FOUND, format!("account {from} does not exist")));
    }
    let (no_unread, no_last_message) = send_msg_control(&request.send_msg_control);
    let message = AdminMessage {
        from,
        to: group_id,
        conversation_type: ConversationType::Group,
        random,
        caller_seq: 0,
        body,
        cloud_custom_data: request.cloud_custom_data,
        priority,
        online_only: request.msg_online_only_flag == Some(1),
        excluded_from_unread_count: no_unread,
        excluded_from_last_message: no_last_message,
        need_read_receipt: false,
        deliver_to_sender: true,
        // The send path refuses a targeted message (10004) until it is served.
        receivers: request.to_account,
    };
    let sent = service.admin_send(admin.app, message).await?;
    fields(&SendGroupMsgResponse { msg_time: sent.message.time, msg_seq: sent.message.sequence })
}

/// `v4/group_open_http_svc/send_group_system_notification`: a custom system notice to members.
pub async fn send_group_system_notification(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: SendGroupSystemNotificationRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let content = required(request.content, "Content", ErrorCode::GROUP_INVALID_PARAMETER)?;
    service.admin_notify_group(admin.app, &group_id, request.to_members_account, &content).await?;
    fields(&serde_json::json!({}))
}

/// `v4/group_open_http_svc/group_msg_recall`: up to 10 messages by sequence, each with its outcome.
pub async fn group_msg_recall(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GroupMsgRecallRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let seqs: Vec<u64> = request.msg_seq_list.iter().map(|item| item.msg_seq).collect();
    let outcomes = service.recall_group_messages(admin.app, &group_id, &seqs).await?;
    let recall_ret_list = outcomes
        .into_iter()
        .map(|(msg_seq, outcome)| RecallResult {
            msg_seq,
            ret_code: match outcome {
                GroupRecall::Recalled => 0,
                GroupRecall::NotFound => ErrorCode::GROUP_MESSAGE_NOT_FOUND.0,
            },
        })
        .collect();
    fields(&GroupMsgRecallResponse { recall_ret_list })
}

/// `v4/group_open_http_svc/group_msg_get_simple`: up to 20 messages at or below `ReqMsgSeq`,
/// newest first.
pub async fn group_msg_get_simple(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GroupMsgGetSimpleRequest = parse(body)?;
    let group_id = required(request.group_id, "GroupId", ErrorCode::GROUP_INVALID_PARAMETER)?;
    let count = request.req_msg_number.unwrap_or(0);
    let with_revoked = request.with_recalled_msg == Some(1);
    let (messages, finished) =
        service.admin_group_messages(admin.app, &group_id, request.req_msg_seq, count, with_revoked).await?;
    let rsp_msg_list = messages
        .iter()
        .map(|stored| {
            let message = mynah_service::convert::message(stored);
            GroupMessageItem {
                from_account: message.from,
                is_place_msg: if message.is_revoked { PLACE_MSG_REVOKED } else { 0 },
                // A recalled message's content is not shown, only its place in the history.
                msg_body: if message.is_revoked { Vec::new() } else { message.msg_body },
                msg_priority: priority_number(message.priority),
                msg_random: message.random,
                msg_seq: message.sequence,
                msg_time_stamp: message.time,
                cloud_custom_data: if message.is_revoked { String::new() } else { message.cloud_custom_data },
            }
        })
        .collect();
    fields(&GroupMsgGetSimpleResponse { group_id, is_finished: u32::from(finished), rsp_msg_list })
}

/// Tencent's numbering of priorities in history: 1 High, 2 Normal, 3 Low, 4 Lowest.
fn priority_number(priority: MessagePriority) -> u32 {
    match priority {
        MessagePriority::High => 1,
        MessagePriority::Normal => 2,
        MessagePriority::Low => 3,
        MessagePriority::Lowest => 4,
    }
}
