//! `openim`: one-to-one messages. Send (one or many receivers), import, read a conversation's
//! history by time, recall, edit, mark read and count unread.

use futures_util::future::join_all;
use mynah_proto::codes::ErrorCode;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::MessagePriority;
use mynah_proto::rest_openim::*;
use mynah_service::Service;
use mynah_service::admin_messages::{AdminMessage, ImportedMessage, MAX_ROAM_PAGE};
use mynah_service::revisions::msg_key;
use mynah_store::MessageEdit;

use super::input::{msg_body, random, required, send_msg_control};
use crate::auth::Admin;
use crate::reply::{CommandResult, RestError, fields, parse};

/// The most receivers of one `batchsendmsg` (Tencent: 500).
pub const MAX_BATCH_RECEIVERS: usize = 500;
/// The longest `MsgLifeTime`, in seconds (7 days).
pub const MAX_MSG_LIFE_TIME: u64 = 604_800;
/// The most peers `get_c2c_unread_msg_num` reports one by one (Tencent: 10).
pub const MAX_UNREAD_PEERS: usize = 10;
/// How far in the future an imported message's time may be, in seconds (clock skew).
const IMPORT_FUTURE_SLACK: u64 = 60;

/// What `sendmsg` and `batchsendmsg` share, checked.
struct Outgoing {
    from: String,
    message: AdminMessage,
}

/// `v4/openim/sendmsg`.
pub async fn sendmsg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: SendMsgRequest = parse(body)?;
    let to = required(request.to_account.clone(), "To_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    let outgoing = outgoing(admin, request.message)?;
    check_sender(service, admin, &outgoing.from).await?;
    if !service.account_exists(admin.app, &to).await? {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_TO_ACCOUNT, format!("account {to} does not exist")));
    }
    let sent = service.admin_send(admin.app, AdminMessage { to, ..outgoing.message }).await?;
    fields(&SendMsgResponse { msg_time: sent.message.time, msg_key: msg_key(&sent.message), msg_id: sent.message.id })
}

/// `v4/openim/batchsendmsg`: the same message to up to 500 accounts, each in its own conversation.
pub async fn batchsendmsg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: BatchSendMsgRequest = parse(body)?;
    let receivers = request.to_account.clone().unwrap_or_default();
    if receivers.is_empty() {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_TO_ACCOUNT, "To_Account is missing or empty"));
    }
    if receivers.len() > MAX_BATCH_RECEIVERS {
        return Err(RestError::new(
            ErrorCode::OPENIM_TOO_MANY_ACCOUNTS,
            format!("To_Account has {} accounts, over {MAX_BATCH_RECEIVERS}", receivers.len()),
        ));
    }
    let outgoing = outgoing(admin, request.message)?;
    check_sender(service, admin, &outgoing.from).await?;
    let existing = service.existing_accounts(admin.app, receivers.clone()).await?;
    // Every send is its own durable write; run together, they share the writer's group commits.
    let sends = receivers.iter().filter(|to| existing.contains(to)).map(|to| {
        let message = AdminMessage { to: to.clone(), ..outgoing.message.clone() };
        async move { (message.to.clone(), service.admin_send(admin.app, message).await) }
    });
    let results = join_all(sends).await;
    let mut error_list: Vec<AccountErrorItem> = receivers
        .iter()
        .filter(|to| !existing.contains(to))
        .map(|to| AccountErrorItem { to_account: to.clone(), error_code: ErrorCode::ACCOUNT_NOT_IMPORTED.0 })
        .collect();
    let mut msg_key_list = Vec::new();
    for (to, result) in results {
        match result {
            Ok(sent) => msg_key_list.push(AccountMsgKey { to_account: to, msg_key: msg_key(&sent.message) }),
            Err(error) => error_list.push(AccountErrorItem { to_account: to, error_code: error.code.0 }),
        }
    }
    let msg_key = msg_key_list.first().map(|first| first.msg_key.clone()).unwrap_or_default();
    fields(&BatchSendMsgResponse { msg_key, error_list, msg_key_list })
}

/// `v4/openim/importmsg`: a message of the past with its own time; history imports are not pushed.
pub async fn importmsg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: ImportMsgRequest = parse(body)?;
    let realtime = match request.sync_from_old_system {
        Some(1 | 5) => true,
        Some(2) => false,
        other => {
            return Err(RestError::new(
                ErrorCode::OPENIM_BAD_JSON,
                format!("SyncFromOldSystem must be 1, 2 or 5, not {other:?}"),
            ));
        }
    };
    let from = required(request.from_account, "From_Account", ErrorCode::OPENIM_BAD_FROM_ACCOUNT)?;
    let to = required(request.to_account, "To_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    let random = random(request.msg_random, "MsgRandom", ErrorCode::OPENIM_BAD_MSG_RANDOM)?;
    let now = mynah_service::now_ms() / 1000;
    let time =
        request.msg_time_stamp.filter(|time| *time > 0 && *time <= now + IMPORT_FUTURE_SLACK).ok_or_else(|| {
            RestError::new(
                ErrorCode::OPENIM_BAD_MSG_TIMESTAMP,
                "MsgTimeStamp must be a unix time in seconds, not in the future",
            )
        })?;
    let body = msg_body(
        request.msg_body.as_ref(),
        &request.cloud_custom_data,
        ErrorCode::OPENIM_BAD_MSG_BODY,
        ErrorCode::OPENIM_TOO_LONG,
    )?;
    check_sender(service, admin, &from).await?;
    if !service.account_exists(admin.app, &to).await? {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_TO_ACCOUNT, format!("account {to} does not exist")));
    }
    let import = ImportedMessage {
        from,
        to,
        random,
        caller_seq: request.msg_seq.unwrap_or_default(),
        time_ms: time * 1000,
        body,
        cloud_custom_data: request.cloud_custom_data,
        realtime,
    };
    service.import_c2c_message(admin.app, import).await?;
    fields(&serde_json::json!({}))
}

/// `v4/openim/admin_getroammsg`: one side's view of a conversation within a time range, by pages.
pub async fn admin_getroammsg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: GetRoamMsgRequest = parse(body)?;
    let operator = required(request.operator_account, "Operator_Account", ErrorCode::OPENIM_BAD_FROM_ACCOUNT)?;
    let peer = required(request.peer_account, "Peer_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    let max_count = request
        .max_cnt
        .filter(|count| *count > 0)
        .ok_or_else(|| RestError::new(ErrorCode::OPENIM_BAD_JSON, "MaxCnt must be a positive integer"))?;
    let (Some(min_time), Some(max_time)) = (request.min_time, request.max_time) else {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_JSON, "MinTime and MaxTime are required"));
    };
    if min_time > max_time {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_JSON, "MinTime is after MaxTime"));
    }
    let before_seq = match request.last_msg_key.filter(|key| !key.is_empty()) {
        Some(key) => Some(MsgKey::parse(&key).map(|parsed| parsed.seq).ok_or_else(|| {
            RestError::new(ErrorCode::OPENIM_BAD_MSG_KEY, format!("LastMsgKey {key:?} is not seq_random_time"))
        })?),
        None => None,
    };
    let page = service
        .roam_messages(admin.app, &operator, &peer, (min_time, max_time), max_count.min(MAX_ROAM_PAGE), before_seq)
        .await?;
    let msg_list: Vec<RoamMessage> = page
        .messages
        .iter()
        .map(|stored| {
            let message = mynah_service::convert::message(stored);
            RoamMessage {
                from_account: message.from.clone(),
                to_account: message.to.clone(),
                msg_seq: message.sequence,
                msg_random: message.random,
                msg_time_stamp: message.time,
                msg_flag_bits: if message.is_revoked { MSG_FLAG_REVOKED } else { 0 },
                is_peer_read: 0,
                msg_key: msg_key(&message),
                msg_body: message.msg_body,
                cloud_custom_data: message.cloud_custom_data,
            }
        })
        .collect();
    let oldest = msg_list.first();
    fields(&GetRoamMsgResponse {
        complete: u32::from(page.complete),
        msg_cnt: msg_list.len() as u32,
        last_msg_time: oldest.map_or(0, |message| message.msg_time_stamp),
        last_msg_key: oldest.map(|message| message.msg_key.clone()).unwrap_or_default(),
        msg_list,
    })
}

/// `v4/openim/admin_msgwithdraw`: recalls a one-to-one message; both users learn it.
pub async fn admin_msgwithdraw(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: MsgWithdrawRequest = parse(body)?;
    let from = required(request.from_account, "From_Account", ErrorCode::OPENIM_BAD_FROM_ACCOUNT)?;
    let to = required(request.to_account, "To_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    let key = required(request.msg_key, "MsgKey", ErrorCode::OPENIM_BAD_MSG_KEY)?;
    service.recall_c2c_message(admin.app, &from, &to, &key).await?;
    fields(&serde_json::json!({}))
}

/// `v4/openim/modify_c2c_msg`: replaces a one-to-one message's body and/or custom data.
pub async fn modify_c2c_msg(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: ModifyC2cMsgRequest = parse(body)?;
    let from = required(request.from_account, "From_Account", ErrorCode::OPENIM_BAD_FROM_ACCOUNT)?;
    let to = required(request.to_account, "To_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    let key = required(request.msg_key, "MsgKey", ErrorCode::OPENIM_BAD_MSG_KEY)?;
    let cloud_custom_data = request.cloud_custom_data.as_deref().unwrap_or_default();
    let body = match request.msg_body.as_ref() {
        Some(raw) => {
            Some(msg_body(Some(raw), cloud_custom_data, ErrorCode::OPENIM_BAD_MSG_BODY, ErrorCode::OPENIM_TOO_LONG)?)
        }
        None => None,
    };
    if body.is_none() && request.cloud_custom_data.is_none() {
        return Err(RestError::new(
            ErrorCode::OPENIM_BAD_JSON,
            "nothing to modify: give MsgBody, CloudCustomData or both",
        ));
    }
    let edit = MessageEdit { body, cloud_custom_data: request.cloud_custom_data };
    service.modify_c2c_message(admin.app, &from, &to, &key, edit).await?;
    fields(&serde_json::json!({}))
}

/// `v4/openim/admin_set_msg_read`: `Report_Account` has read its conversation with `Peer_Account`,
/// up to `MsgReadTime` when given.
pub async fn admin_set_msg_read(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: SetMsgReadRequest = parse(body)?;
    let reader = required(request.report_account, "Report_Account", ErrorCode::OPENIM_BAD_JSON)?;
    let peer = required(request.peer_account, "Peer_Account", ErrorCode::OPENIM_BAD_JSON)?;
    service.admin_mark_c2c_read(admin.app, &reader, &peer, request.msg_read_time).await?;
    fields(&serde_json::json!({}))
}

/// `v4/openim/get_c2c_unread_msg_num`: a user's one-to-one unread counts.
pub async fn get_c2c_unread_msg_num(service: &Service, admin: &Admin, body: &[u8]) -> CommandResult {
    let request: C2cUnreadRequest = parse(body)?;
    let user = required(request.to_account, "To_Account", ErrorCode::OPENIM_BAD_TO_ACCOUNT)?;
    if request.peer_account.len() > MAX_UNREAD_PEERS {
        return Err(RestError::new(
            ErrorCode::OPENIM_BAD_JSON,
            format!("Peer_Account has {} accounts, over {MAX_UNREAD_PEERS}", request.peer_account.len()),
        ));
    }
    if !service.account_exists(admin.app, &user).await? {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_TO_ACCOUNT, format!("account {user} does not exist")));
    }
    let existing = service.existing_accounts(admin.app, request.peer_account.clone()).await?;
    let (peers, unknown): (Vec<String>, Vec<String>) =
        request.peer_account.into_iter().partition(|peer| existing.contains(peer));
    let (total, per_peer) = service.c2c_unread_counts(admin.app, &user, &peers).await?;
    fields(&C2cUnreadResponse {
        all_c2c_unread_msg_num: total,
        c2c_unread_msg_num_list: per_peer
            .into_iter()
            .map(|(peer_account, c2c_unread_msg_num)| PeerUnread { peer_account, c2c_unread_msg_num })
            .collect(),
        error_list: unknown
            .into_iter()
            .map(|peer_account| PeerError { peer_account, error_code: ErrorCode::ACCOUNT_NOT_IMPORTED.0 })
            .collect(),
    })
}

/// Checks the fields `sendmsg` and `batchsendmsg` share; the receiver is left empty.
fn outgoing(admin: &Admin, fields: C2cMessageFields) -> Result<Outgoing, RestError> {
    let C2cMessageFields {
        sync_other_machine,
        from_account: from,
        msg_life_time: life_time,
        msg_seq,
        msg_random,
        send_msg_control: send_msg_control_flags,
        msg_body: raw_body,
        cloud_custom_data,
        online_only_flag,
        is_need_read_receipt: read_receipt,
    } = fields;
    let from = from.filter(|from| !from.is_empty()).unwrap_or_else(|| admin.identifier.clone());
    let random = random(msg_random, "MsgRandom", ErrorCode::OPENIM_BAD_MSG_RANDOM)?;
    if life_time.is_some_and(|seconds| seconds > MAX_MSG_LIFE_TIME) {
        return Err(RestError::new(
            ErrorCode::OPENIM_BAD_MSG_LIFETIME,
            format!("MsgLifeTime is over {MAX_MSG_LIFE_TIME} seconds"),
        ));
    }
    let body =
        msg_body(raw_body.as_ref(), &cloud_custom_data, ErrorCode::OPENIM_BAD_MSG_BODY, ErrorCode::OPENIM_TOO_LONG)?;
    let (no_unread, no_last_message) = send_msg_control(&send_msg_control_flags);
    let message = AdminMessage {
        from: from.clone(),
        to: String::new(),
        conversation_type: ConversationType::C2c,
        random,
        caller_seq: msg_seq.unwrap_or_default(),
        body,
        cloud_custom_data,
        priority: MessagePriority::Normal,
        online_only: online_only_flag == Some(1) || life_time == Some(0),
        excluded_from_unread_count: no_unread,
        excluded_from_last_message: no_last_message,
        need_read_receipt: read_receipt == Some(1),
        deliver_to_sender: sync_other_machine == Some(1),
        receivers: Vec::new(),
    };
    Ok(Outgoing { from, message })
}

/// 90008 unless the sender exists (the administrator always does).
async fn check_sender(service: &Service, admin: &Admin, from: &str) -> Result<(), RestError> {
    if from != admin.identifier && !service.account_exists(admin.app, from).await? {
        return Err(RestError::new(ErrorCode::OPENIM_BAD_FROM_ACCOUNT, format!("account {from} does not exist")));
    }
    Ok(())
}
