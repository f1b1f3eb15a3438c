//! The webhook port: what the service asks the app's backend before a message is sent, and which
//! after-events it writes to the outbox. The `webhooks` crate implements it over HTTP; without
//! webhooks, [`NoHooks`] allows everything and records nothing.

use async_trait::async_trait;
use mynah_proto::codes::ErrorCode;
use mynah_proto::elements::MsgElement;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::GroupType;
use mynah_store::AppId;

/// A message about to be sent, as a before-send webhook sees it.
#[derive(Clone, Debug)]
pub struct OutgoingMessage<'a> {
    pub app: AppId,
    pub conversation_type: ConversationType,
    pub from: &'a str,
    /// The receiving userID or the groupID.
    pub to: &'a str,
    /// The group's type, for group messages.
    pub group_type: Option<GroupType>,
    pub msg_body: &'a [MsgElement],
    pub cloud_custom_data: &'a str,
    pub random: u32,
    pub online_only: bool,
    /// Where the send came from: the sender's IP and platform (`Web`, ..., or `RESTAPI`).
    pub origin: &'a Origin,
}

/// Where a request came from, for webhooks' `ClientIP` and `OptPlatform`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Empty when unknown.
    pub client_ip: String,
    pub platform: String,
}

/// What the before-send webhook decided.
#[derive(Clone, Debug, PartialEq)]
pub enum SendVerdict {
    /// Send as is.
    Send,
    /// Send with this body (and custom data, when given); the sender learns of the change.
    Rewrite { msg_body: Vec<MsgElement>, cloud_custom_data: Option<String> },
    /// Refuse with this code.
    Reject { code: ErrorCode, message: String },
    /// Drop silently: the sender sees success, nobody receives it, nothing is stored.
    Discard,
}

/// How a session began or ended, for `State.StateChange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateChange {
    /// Logged in.
    Login,
    /// Logged out.
    Logout,
    /// The connection closed without a logout.
    Disconnect,
    /// The connection went silent past the heartbeat timeout.
    Timeout,
    /// The server ended the session (another login, an expired UserSig, a REST kick).
    Kicked,
}

impl StateChange {
    /// Tencent's `Action` and `Reason` for this change.
    pub fn action_and_reason(self) -> (&'static str, &'static str) {
        match self {
            StateChange::Login => ("Login", "Register"),
            StateChange::Logout => ("Logout", "Unregister"),
            StateChange::Disconnect => ("Disconnect", "LinkClose"),
            StateChange::Timeout => ("Disconnect", "TimeOut"),
            StateChange::Kicked => ("Logout", "Kicked"),
        }
    }
}

/// The webhook port.
#[async_trait]
pub trait Hooks: Send + Sync + 'static {
    /// Whether a before-send webhook is on for this app and conversation type.
    fn before_send_enabled(&self, app: AppId, conversation_type: ConversationType) -> bool;

    /// Asks the before-send webhook. Called only when enabled; answers within its own timeout.
    async fn before_send(&self, message: &OutgoingMessage<'_>) -> SendVerdict;

    /// The after-send `CallbackCommand` to record with a stored message, when that webhook is on.
    fn after_send_command(&self, app: AppId, conversation_type: ConversationType) -> Option<&'static str>;

    /// The `CallbackCommand` to record for session state changes, when that webhook is on.
    fn state_change_command(&self, app: AppId) -> Option<&'static str>;
}

/// No webhooks: everything is sent, nothing is recorded.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

#[async_trait]
impl Hooks for NoHooks {
    fn before_send_enabled(&self, _app: AppId, _conversation_type: ConversationType) -> bool {
        false
    }

    async fn before_send(&self, _message: &OutgoingMessage<'_>) -> SendVerdict {
        SendVerdict::Send
    }

    fn after_send_command(&self, _app: AppId, _conversation_type: ConversationType) -> Option<&'static str> {
        None
    }

    fn state_change_command(&self, _app: AppId) -> Option<&'static str> {
        None
    }
}
