//! One after-event of the outbox to its callback: the body is built from the store as it is at
//! delivery (the stored message, the receiver's unread count, the group's type), then sent.

use mynah_proto::ids::ConversationType;
use mynah_proto::webhooks::{C2cMessageCallback, GroupMessageCallback, StateChangeCallback, StateChangeInfo};
use mynah_service::now_ms;
use mynah_store::{ConversationKey, OutboxEvent, OutboxItem, Store, StoreError, StoredMessage};

use crate::Webhooks;
use crate::before_send::rest_group_type;
use crate::call::{CallOrigin, call};
use crate::outbox::OutboxConfig;

/// What became of one delivery.
pub(crate) enum Delivery {
    /// Delivered, or nothing left to deliver (the webhook was turned off, the message is gone).
    Done,
    Failed(String),
}

/// Builds an event's callback body from the store as it is now and calls the app's URL.
pub(crate) async fn deliver(store: &Store, webhooks: &Webhooks, config: &OutboxConfig, item: &OutboxItem) -> Delivery {
    let Some(app_config) = webhooks.config_for(item.app, &item.command) else { return Delivery::Done };
    let url = app_config.url.as_str();
    let sent = match &item.event {
        OutboxEvent::MessageSent { message_id, client_ip, platform } => {
            let origin = CallOrigin { client_ip, platform };
            let message = match store.messages.find_message(item.app, message_id).await {
                Ok(Some(message)) => message,
                Ok(None) => return Delivery::Done,
                Err(error) => return Delivery::Failed(error.to_string()),
            };
            match message.conversation.conversation_type() {
                ConversationType::C2c => {
                    // A store error is not "no unread messages": the event waits for a store that answers.
                    let body = match c2c_after_body(store, &item.command, &message).await {
                        Ok(body) => body,
                        Err(error) => return Delivery::Failed(format!("reading the unread count: {error}")),
                    };
                    call(webhooks, url, item.app, &item.command, &origin, &body, config.call_timeout).await
                }
                ConversationType::Group => {
                    let group_type = match store.groups.get_group(item.app, &message.receiver).await {
                        Ok(group) => group.map(|group| rest_group_type(group.group_type)).unwrap_or_default(),
                        Err(error) => return Delivery::Failed(error.to_string()),
                    };
                    let body = group_after_body(&item.command, group_type, &message);
                    call(webhooks, url, item.app, &item.command, &origin, &body, config.call_timeout).await
                }
            }
        }
        OutboxEvent::StateChanged { user, action, reason, platform, at_ms } => {
            let body = StateChangeCallback {
                callback_command: item.command.clone(),
                event_time: *at_ms,
                info: StateChangeInfo { action: action.clone(), to_account: user.clone(), reason: reason.clone() },
            };
            let origin = CallOrigin { client_ip: "", platform };
            call(webhooks, url, item.app, &item.command, &origin, &body, config.call_timeout).await
        }
        other => {
            tracing::error!(?other, "unknown outbox event dropped");
            return Delivery::Done;
        }
    };
    metrics::counter!("mynah_webhook_calls_total", "command" => item.command.clone(), "ok" => sent.is_ok().to_string())
        .increment(1);
    match sent {
        Ok(_) => Delivery::Done,
        Err(failure) => Delivery::Failed(failure.to_string()),
    }
}

/// The after-send body of a one-to-one message. `UnreadMsgNum` is the receiver's unread count now;
/// a receiver without a conversation row has none unread.
async fn c2c_after_body(
    store: &Store,
    command: &str,
    message: &StoredMessage,
) -> Result<C2cMessageCallback, StoreError> {
    let key = ConversationKey::c2c(&message.sender, &message.receiver);
    let unread = store.conversations.get_conversation(message.app, &message.receiver, &key).await?;
    let time = message.time_ms / 1000;
    Ok(C2cMessageCallback {
        callback_command: command.to_owned(),
        from_account: message.sender.clone(),
        to_account: message.receiver.clone(),
        msg_seq: message.seq,
        msg_random: message.random,
        msg_time: time,
        msg_key: format!("{}_{}_{}", message.seq, message.random, time),
        msg_id: message.message_id(),
        online_only_flag: 0,
        msg_body: message.body.clone(),
        cloud_custom_data: message.cloud_custom_data.clone(),
        send_msg_result: Some(0),
        unread_msg_num: Some(unread.map_or(0, |conversation| conversation.unread_count)),
        event_time: now_ms(),
    })
}

fn group_after_body(command: &str, group_type: &str, message: &StoredMessage) -> GroupMessageCallback {
    GroupMessageCallback {
        callback_command: command.to_owned(),
        group_id: message.receiver.clone(),
        group_type: group_type.to_owned(),
        from_account: message.sender.clone(),
        operator_account: message.sender.clone(),
        random: message.random,
        online_only_flag: 0,
        msg_body: message.body.clone(),
        cloud_custom_data: message.cloud_custom_data.clone(),
        msg_seq: Some(message.seq),
        msg_time: Some(message.time_ms / 1000),
        event_time: now_ms(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;

    use mynah_proto::elements::MsgElement;
    use mynah_proto::objects::MessagePriority;
    use mynah_proto::webhooks::C2C_AFTER_SEND;
    use mynah_store::{AfterSendHook, NewMessage, OutboxClaim};
    use mynah_store_sqlite::{SqliteConfig, SqliteStore};

    use super::*;
    use crate::WebhookConfig;

    const APP: u64 = 1_400_000_001;

    /// A store error while reading the receiver's unread count must not become `UnreadMsgNum: 0`:
    /// the delivery fails (and is retried later) before anything is sent.
    #[tokio::test]
    async fn a_store_error_fails_the_delivery_instead_of_reporting_zero_unread() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("store.sqlite3");
        let store = Store::from_backend(Arc::new(SqliteStore::open(SqliteConfig::new(&path)).unwrap()));
        let hook =
            AfterSendHook { command: C2C_AFTER_SEND.to_owned(), client_ip: String::new(), platform: "Web".to_owned() };
        let message = NewMessage {
            app: APP,
            conversation: ConversationKey::c2c("alice", "bob"),
            sender: "alice".to_owned(),
            receiver: "bob".to_owned(),
            client_msg_id: "m1".to_owned(),
            random: 7,
            time_ms: Some(1_700_000_000_000),
            nick: String::new(),
            avatar: String::new(),
            name_card: String::new(),
            body: vec![MsgElement::text("hello")],
            cloud_custom_data: String::new(),
            priority: MessagePriority::Normal,
            need_read_receipt: false,
            excluded_from_unread_count: false,
            excluded_from_last_message: false,
            after_send_hook: Some(hook),
        };
        store.messages.append_message(message).await.unwrap();
        let claim = OutboxClaim {
            claimant: "test".to_owned(),
            now_ms: now_ms(),
            lease_until_ms: now_ms() + 60_000,
            per_app: 10,
            limit: 10,
            skip_apps: Vec::new(),
        };
        let item = store.outbox.claim(claim).await.unwrap().pop().expect("the message's event");
        // The unread counts become unreadable: the store fails where the body reads them.
        rusqlite::Connection::open(&path).unwrap().execute_batch("DROP TABLE user_conversations").unwrap();

        // Nothing listens on the URL: reaching it would fail differently.
        let config = WebhookConfig {
            url: "http://127.0.0.1:9/never-called".to_owned(),
            commands: HashSet::from([C2C_AFTER_SEND.to_owned()]),
            fail_closed: false,
        };
        let webhooks = Webhooks::new(HashMap::from([(APP, config)]));
        match deliver(&store, &webhooks, &OutboxConfig::default(), &item).await {
            Delivery::Failed(reason) => assert!(reason.contains("unread count"), "{reason}"),
            Delivery::Done => panic!("delivered with a made-up unread count"),
        }
    }
}
