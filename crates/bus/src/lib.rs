//! The bus port: how the service reaches the sessions of a user or of a group's members, wherever
//! they are connected, and the registry of who is online on which platform.
//!
//! # Layout
//!
//! - [`Topic`] and [`Delivery`]: where a delivery goes (a user, or a group's members) and what it
//!   is (a push, or a kick for one session).
//! - [`Bus`]: the delivery port: subscribe a session to its user topic, tell the bus which group
//!   topics a user's sessions listen to, publish to a topic.
//! - [`SessionRegistry`]: the presence port: register a session with its platform and login start,
//!   list a user's sessions, ask whether a user is online.
//! - [`ids`]: session ids that are unique across nodes.
//! - [`local`]: [`LocalBus`], the in-process backend of a single node (both ports); a [`TopicInterest`]
//!   given to it learns when a topic gains its first session or loses its last (what a cluster
//!   backend wrapping it listens to).
//! - [`registry`]: the registry half of [`LocalBus`].
//! - [`queue`]: a session's bounded delivery queue, which costs almost nothing while empty.
//! - [`conformance`]: the suite every backend of both ports must pass.
//!
//! The bus carries notifications only; it is never the record of truth. A session that cannot keep
//! up loses its subscription (its queue is closed) and must reconnect and resync.

pub mod conformance;
pub mod ids;
pub mod local;
pub mod queue;
pub mod registry;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use mynah_proto::codes::KickReason;
use mynah_proto::frames::Push;
use mynah_proto::requests::Platform;

pub use ids::SessionIds;
pub use local::{LocalBus, TopicInterest};
pub use queue::{QueueReceiver, QueueSender, Taken};

/// The SDKAppID that scopes every topic.
pub type AppId = u64;

/// A session's identifier, unique across the nodes of a deployment (see [`SessionIds`]).
pub type SessionId = u64;

/// How many deliveries may wait for one session before it is considered too slow and dropped.
pub const SESSION_QUEUE_CAPACITY: usize = 1024;

/// Where a delivery goes. Both kinds are scoped by the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic<'a> {
    /// Every session of one user.
    User(&'a str),
    /// Every session of every member of one group, as the bus was told by
    /// [`Bus::load_groups`], [`Bus::join_group`] and [`Bus::leave_group`].
    Group(&'a str),
}

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

    /// A push that arrived already encoded (from another node): `encoded` must be its encoding.
    pub fn with_encoded(push: Push, encoded: Arc<str>) -> Arc<SharedPush> {
        Arc::new(SharedPush { push, encoded: OnceLock::from(encoded) })
    }

    /// The encoded frame (JSON, as written to the WebSocket and sent between nodes), computed by the
    /// first caller and shared by the rest.
    pub fn frame(&self) -> Arc<str> {
        self.encoded.get_or_init(|| Arc::from(encode_push(&self.push))).clone()
    }
}

/// Encodes a push frame. Our own types always serialize; if one ever fails, it is logged.
pub fn encode_push(push: &Push) -> String {
    serde_json::to_string(push).unwrap_or_else(|error| {
        tracing::error!(%error, "push did not encode");
        String::from("{}")
    })
}

/// What the bus delivers to a session.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// A push for every session of the topic except `except_session` (the sender's own session).
    Push { push: Arc<SharedPush>, except_session: Option<SessionId> },
    /// End one session with a reason. Published on the session's user topic; every other session
    /// of the user ignores it.
    Kick { session: SessionId, reason: KickReason },
}

/// The receiving end of a session's subscription. Dropping it unsubscribes the session from its
/// user topic and every group topic, and drops whatever else was attached to it (the session's
/// registration).
pub struct Subscription {
    pub receiver: QueueReceiver,
    guards: Vec<Box<dyn Send + Sync>>,
}

impl Subscription {
    pub fn new(receiver: QueueReceiver, guard: Box<dyn Send + Sync>) -> Subscription {
        Subscription { receiver, guards: vec![guard] }
    }

    /// Keeps `guard` alive as long as the subscription, so what it releases (a registration, for
    /// instance) ends with the session.
    pub fn attach(&mut self, guard: Box<dyn Send + Sync>) {
        self.guards.push(guard);
    }
}

/// A session as the registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub session: SessionId,
    pub platform: Platform,
    /// When the session's login started, unix milliseconds. Logins are ordered by
    /// `(login_started_ms, session)`: the second key orders logins of one node within a millisecond.
    pub login_started_ms: u64,
}

impl SessionInfo {
    /// The key that orders logins, oldest first.
    pub fn login_order(&self) -> (u64, SessionId) {
        (self.login_started_ms, self.session)
    }
}

/// A registered session. Dropping it unregisters the session.
pub struct Registration {
    _guard: Box<dyn Send + Sync>,
}

impl Registration {
    pub fn new(guard: Box<dyn Send + Sync>) -> Registration {
        Registration { _guard: guard }
    }
}

/// The delivery port.
///
/// A group topic's subscribers are a bus-side copy of membership, kept by the service: it loads a
/// session's groups at login and reports every membership change after it is committed, with the
/// change-stream position of the change. A backend applies, per session and group, only what is
/// newer than what it already applied, so a late or reordered report never undoes a newer one.
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Subscribes a session to its user topic. It listens to no group topic until
    /// [`Bus::load_groups`] or [`Bus::join_group`] says so.
    async fn subscribe(&self, app: AppId, user: &str, session: SessionId) -> Subscription;

    /// Subscribes one session to the group topics of `groups`, as read from the store after
    /// `as_of` was the user's change-stream head. Membership changes the bus already applied with
    /// a later position win over this list.
    async fn load_groups(&self, app: AppId, user: &str, session: SessionId, groups: &[String], as_of: u64);

    /// Every session of `user` (on every node) gains the group's topic; `position` is that of the
    /// user's `groupJoined` change.
    async fn join_group(&self, app: AppId, user: &str, group: &str, position: u64);

    /// Every session of `user` (on every node) loses the group's topic; `position` is that of the
    /// user's `groupLeft` or `groupDismissed` change.
    async fn leave_group(&self, app: AppId, user: &str, group: &str, position: u64);

    /// Delivers to every session subscribed to the topic. Deliveries published by one caller to
    /// one topic reach each session in the order they were published.
    async fn publish(&self, app: AppId, topic: Topic<'_>, delivery: Delivery);
}

/// The presence port: who is online, on which platform, since when.
#[async_trait]
pub trait SessionRegistry: Send + Sync + 'static {
    /// Registers a session of `user`. Dropping the returned registration unregisters it.
    async fn register(&self, app: AppId, user: &str, session: SessionInfo) -> Registration;

    /// The registered sessions of a user, oldest login first.
    async fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo>;

    /// Whether the user has a registered session anywhere.
    async fn is_online(&self, app: AppId, user: &str) -> bool;
}
