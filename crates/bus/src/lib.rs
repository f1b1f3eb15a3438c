//! The bus port: how the service reaches the sessions of a user, wherever they are connected.
//!
//! # Layout
//!
//! - [`Delivery`]: what travels: a push for a user's sessions, or a kick for one session.
//! - [`Bus`]: the port: subscribe a session to its user's topic, publish to users, and the
//!   session registry that enforces per-platform instance limits.
//! - [`local`]: [`LocalBus`], the in-process backend of a single node.
//! - [`queue`]: a session's bounded delivery queue, which costs almost nothing while empty.
//!
//! The bus carries notifications only; it is never the record of truth. A session that cannot keep
//! up loses its subscription (its channel is closed) and must reconnect and resync.

pub mod local;
pub mod queue;

use std::sync::{Arc, OnceLock};

use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::Platform;

pub use local::LocalBus;
pub use queue::{QueueReceiver, QueueSender, Taken};

/// The SDKAppID that scopes every topic.
pub type AppId = u64;

/// A session's server-unique identifier.
pub type SessionId = u64;

/// How many deliveries may wait for one session before it is considered too slow and dropped.
pub const SESSION_QUEUE_CAPACITY: usize = 1024;

/// A push with a lazily encoded form, so a group message is encoded once for all its receivers.
#[derive(Debug)]
pub struct SharedPush {
    pub push: Push,
    encoded: OnceLock<Arc<str>>,
}

impl SharedPush {
    pub fn new(push: Push) -> Arc<SharedPush> {
        Arc::new(SharedPush { push, encoded: OnceLock::new() })
    }

    /// The encoded frame, computed by the first caller and shared by the rest.
    pub fn encoded(&self, encode: impl FnOnce(&Push) -> String) -> Arc<str> {
        self.encoded.get_or_init(|| Arc::from(encode(&self.push))).clone()
    }
}

/// What the bus delivers to a session.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// A push for every session of the user except `except_session` (the sender's own session).
    Push { push: Arc<SharedPush>, except_session: Option<SessionId> },
    /// End one session with a reason.
    Kick { session: SessionId, reason: KickReason },
}

/// The receiving end of a session's subscription. Dropping it unsubscribes.
pub struct Subscription {
    pub receiver: QueueReceiver,
    _guard: Box<dyn Send + Sync>,
}

impl Subscription {
    pub fn new(receiver: QueueReceiver, guard: Box<dyn Send + Sync>) -> Subscription {
        Subscription { receiver, _guard: guard }
    }
}

/// A session as the registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Numbered when the session's login started, so a lower number is an older login.
    pub session: SessionId,
    pub platform: Platform,
}

/// The bus port.
pub trait Bus: Send + Sync + 'static {
    /// Subscribes a session to its user's deliveries and registers it with its platform.
    /// Returns the subscription and the sessions of the same user and platform that exceed
    /// `max_per_platform` (oldest first, by session number, which is login order; this may be
    /// the new session itself when an older login finishes late), which the caller kicks.
    fn subscribe(
        &self,
        app: AppId,
        user: &str,
        session: SessionId,
        platform: Platform,
        max_per_platform: usize,
    ) -> (Subscription, Vec<SessionId>);

    /// Delivers to every session of every listed user.
    fn publish(&self, app: AppId, users: &[&str], delivery: Delivery);

    /// Whether the user has a session anywhere.
    fn is_online(&self, app: AppId, user: &str) -> bool;

    /// The sessions of a user.
    fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo>;
}
