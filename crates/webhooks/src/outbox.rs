//! The outbox worker: delivers after-events (after-send, state changes) from the durable outbox,
//! retrying with backoff, until each is delivered or has failed too often.

use std::time::Duration;

use mynah_proto::ids::ConversationType;
use mynah_proto::webhooks::{C2cMessageCallback, GroupMessageCallback, StateChangeCallback, StateChangeInfo};
use mynah_service::now_ms;
use mynah_store::{ConversationKey, OutboxEvent, OutboxItem, Store, StoredMessage};
use tokio_util::sync::CancellationToken;

use crate::Webhooks;
use crate::before_send::rest_group_type;
use crate::call::{CallOrigin, call};

/// How the worker paces itself.
#[derive(Clone, Debug)]
pub struct OutboxConfig {
    /// How often the outbox is checked for due events.
    pub poll_interval: Duration,
    /// The delay before the first retry; it doubles with each failure, up to `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// Attempts after which an event is given up (and logged).
    pub max_attempts: u32,
    /// How long one after-callback may take.
    pub call_timeout: Duration,
}

impl Default for OutboxConfig {
    fn default() -> OutboxConfig {
        OutboxConfig {
            poll_interval: Duration::from_millis(200),
            first_retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(600),
            max_attempts: 20,
            call_timeout: Duration::from_secs(5),
        }
    }
}

/// Events delivered per round.
const BATCH: u32 = 64;

/// Delivers due events until `shutdown`.
pub async fn run(store: Store, webhooks: Webhooks, config: OutboxConfig, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(config.poll_interval) => {}
        }
        let due = match store.outbox.due(now_ms(), BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "could not read the webhook outbox");
                continue;
            }
        };
        // One at a time, oldest first, so a backend sees a user's events in the order they happened.
        for item in due {
            deliver_one(&store, &webhooks, &config, item).await;
        }
    }
}

async fn deliver_one(store: &Store, webhooks: &Webhooks, config: &OutboxConfig, item: OutboxItem) {
    let outcome = deliver(store, webhooks, config, &item).await;
    let result = match outcome {
        Delivery::Done => store.outbox.complete(item.id).await,
        Delivery::Failed(reason) if item.attempts + 1 >= config.max_attempts => {
            tracing::error!(app = item.app, command = %item.command, attempts = item.attempts + 1, %reason, "webhook given up");
            store.outbox.complete(item.id).await
        }
        Delivery::Failed(reason) => {
            tracing::warn!(app = item.app, command = %item.command, attempts = item.attempts + 1, %reason, "webhook failed, will retry");
            let delay = retry_delay(config, item.attempts);
            store.outbox.postpone(item.id, item.attempts + 1, now_ms() + delay.as_millis() as u64).await
        }
    };
    if let Err(error) = result {
        tracing::error!(%error, id = item.id, "could not update the webhook outbox");
    }
}

enum Delivery {
    /// Delivered, or nothing left to deliver (the webhook was turned off, the message is gone).
    Done,
    Failed(String),
}

async fn deliver(store: &Store, webhooks: &Webhooks, config: &OutboxConfig, item: &OutboxItem) -> Delivery {
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
                    let body = c2c_after_body(store, &item.command, &message).await;
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

async fn c2c_after_body(store: &Store, command: &str, message: &StoredMessage) -> C2cMessageCallback {
    let key = ConversationKey::c2c(&message.sender, &message.receiver);
    let unread = store.conversations.get_conversation(message.app, &message.receiver, &key).await.ok().flatten();
    let time = message.time_ms / 1000;
    C2cMessageCallback {
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
    }
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

/// The wait after `attempts` failed attempts: doubling from the first delay, capped.
fn retry_delay(config: &OutboxConfig, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.min(20));
    config.first_retry_delay.saturating_mul(factor).min(config.max_retry_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_cap() {
        let config = OutboxConfig::default();
        assert_eq!(retry_delay(&config, 0), Duration::from_secs(1));
        assert_eq!(retry_delay(&config, 3), Duration::from_secs(8));
        assert_eq!(retry_delay(&config, 40), Duration::from_secs(600));
    }
}
