//! Outbound webhooks (Tencent "third-party callbacks").
//!
//! # Layout
//!
//! - [`Webhooks`] (this file): the per-app configuration, and the service's `Hooks` port on top of it.
//! - [`call`]: one callback over HTTP: Tencent's query string, the JSON body, the reply.
//! - [`before_send`]: the synchronous before-send callbacks and how their replies become verdicts.
//! - [`outbox`]: the worker that claims after-events from the durable outbox and delivers them, one
//!   lane per app, with retries.
//! - `after_events`: one after-event's callback body, built from the store at delivery.
//!
//! A before-send callback has Tencent's fixed 2 s timeout; when it fails, the app's policy decides
//! (fail open: send; fail closed: refuse). After-events are written to the outbox in the same
//! transaction as the write that caused them, so a crash never loses one.

mod after_events;
pub mod before_send;
pub mod call;
pub mod outbox;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use mynah_proto::ids::ConversationType;
use mynah_proto::webhooks::{C2C_AFTER_SEND, C2C_BEFORE_SEND, GROUP_AFTER_SEND, GROUP_BEFORE_SEND, STATE_CHANGE};
use mynah_service::hooks::{Hooks, OutgoingMessage, SendVerdict};
use mynah_store::AppId;

/// Tencent's before-send timeout: fixed, not adjustable.
pub const BEFORE_SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// One app's webhook settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The callback URL; the query string is appended to it.
    pub url: String,
    /// The `CallbackCommand`s that are on.
    pub commands: HashSet<String>,
    /// When a before-send callback fails (timeout, error, unreadable reply): refuse the message
    /// (`true`) or send it anyway (`false`, Tencent's behaviour).
    pub fail_closed: bool,
}

impl WebhookConfig {
    fn enabled(&self, command: &str) -> bool {
        self.commands.contains(command)
    }
}

/// Every app's webhooks, and the HTTP client that calls them. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    apps: std::sync::Arc<HashMap<AppId, WebhookConfig>>,
    http: reqwest::Client,
}

impl Webhooks {
    pub fn new(apps: HashMap<AppId, WebhookConfig>) -> Webhooks {
        let http = reqwest::Client::builder().connect_timeout(BEFORE_SEND_TIMEOUT).build().unwrap_or_default();
        Webhooks { apps: std::sync::Arc::new(apps), http }
    }

    /// The app's settings when `command` is on for it.
    pub fn config_for(&self, app: AppId, command: &str) -> Option<&WebhookConfig> {
        self.apps.get(&app).filter(|config| config.enabled(command))
    }

    /// Whether any app has any webhook on (the outbox worker is not needed otherwise).
    pub fn any(&self) -> bool {
        self.apps.values().any(|config| !config.commands.is_empty())
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

fn before_command(conversation_type: ConversationType) -> &'static str {
    match conversation_type {
        ConversationType::C2c => C2C_BEFORE_SEND,
        ConversationType::Group => GROUP_BEFORE_SEND,
    }
}

fn after_command(conversation_type: ConversationType) -> &'static str {
    match conversation_type {
        ConversationType::C2c => C2C_AFTER_SEND,
        ConversationType::Group => GROUP_AFTER_SEND,
    }
}

#[async_trait]
impl Hooks for Webhooks {
    fn before_send_enabled(&self, app: AppId, conversation_type: ConversationType) -> bool {
        self.config_for(app, before_command(conversation_type)).is_some()
    }

    async fn before_send(&self, message: &OutgoingMessage<'_>) -> SendVerdict {
        let command = before_command(message.conversation_type);
        match self.config_for(message.app, command) {
            Some(config) => before_send::ask(self, config, command, message).await,
            None => SendVerdict::Send,
        }
    }

    fn after_send_command(&self, app: AppId, conversation_type: ConversationType) -> Option<&'static str> {
        let command = after_command(conversation_type);
        self.config_for(app, command).map(|_| command)
    }

    fn state_change_command(&self, app: AppId) -> Option<&'static str> {
        self.config_for(app, STATE_CHANGE).map(|_| STATE_CHANGE)
    }
}
