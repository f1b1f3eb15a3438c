//! The application core: every use case, its permission checks and its fan-out decisions.
//!
//! # Layout
//!
//! - [`apps`]: the apps (tenants) this server serves, with their keys and session rules.
//! - [`error`]: [`ServiceError`], a Tencent error code plus a message safe to show a client.
//! - [`limits`]: the per-group (40/s with priority) and per-user send rates.
//! - [`login`]: UserSig login, session registration and subscription, and the multi-device
//!   policy (which older sessions a login displaces).
//! - [`send`]: sending one-to-one and group messages, and their delivery.
//! - `sequencer`: the pushes of one conversation leave this node in sequence order.
//! - [`sessions`]: kicking a user's sessions and reporting who is online (administration).
//! - `publish`: pushing appended changes, each resolved once per event, and keeping the bus's
//!   group topics in step with membership changes.
//! - [`history`]: history paging and message lookup.
//! - [`hooks`]: the webhook port (before-send verdicts, after-events for the outbox).
//! - [`conversations`]: conversation list, read marks, unread counts, change-stream sync.
//! - [`conversation_attributes`]: a user's own attributes of a conversation (pinning).
//! - [`groups`]: creating, joining, quitting and listing groups.
//! - [`accounts`]: accounts (REST import, delete, check; recorded at a user's first login).
//! - [`profiles`]: user profiles, from the SDK and the REST API.
//! - [`admin_messages`]: one-to-one messages sent, imported, read and counted by an administrator.
//! - [`revisions`]: recalling and editing messages.
//! - [`admin_groups`]: groups administered through the REST API.
//! - `change_entries`: the wire form of the change records administration appends.
//! - [`convert`]: records to wire objects.
//! - [`validate`]: input checks shared by the use cases.
//!
//! The service sees only the store, bus and session-registry ports; it never names a backend and
//! never does I/O of its own. It spawns tasks only where a request must not be able to stop work
//! (an administrator's append and its push; a session's requests are finished by the gateway) and
//! for the sequencer's gap timer, so it needs a tokio runtime.

pub mod accounts;
pub mod admin_group_roles;
pub mod admin_groups;
pub mod admin_messages;
pub mod apps;
mod change_entries;
pub mod conversation_attributes;
pub mod conversations;
pub mod convert;
pub mod error;
pub mod group_members;
pub mod group_profile;
pub mod groups;
pub mod history;
pub mod hooks;
pub mod limits;
pub mod login;
pub mod policy;
pub mod profiles;
mod publish;
pub mod revisions;
pub mod send;
mod sequencer;
pub mod sessions;
pub mod validate;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mynah_bus::{Bus, SessionId, SessionIds, SessionRegistry};
use mynah_proto::requests::Platform;
use mynah_store::{AppId, Store};

use crate::limits::{GroupRateLimiter, UserRateLimiter};
use crate::sequencer::Sequencer;

pub use apps::{AppConfig, Apps};
pub use error::ServiceError;
pub use hooks::{Hooks, NoHooks, Origin};

/// A logged-in session: who is asking, from where. Every use case takes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub app: AppId,
    pub user: String,
    pub session_id: SessionId,
    pub platform: Platform,
    /// The client's IP address, empty when unknown.
    pub client_ip: String,
}

impl Session {
    /// Where this session's requests come from, as webhooks report it.
    pub fn origin(&self) -> Origin {
        Origin {
            client_ip: self.client_ip.clone(),
            platform: mynah_proto::rest_accounts::platform_name(self.platform).to_owned(),
        }
    }
}

/// The application core. Cheap to clone; every clone shares the same store, bus and apps.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    bus: Arc<dyn Bus>,
    registry: Arc<dyn SessionRegistry>,
    apps: Apps,
    hooks: Arc<dyn Hooks>,
    group_rate: GroupRateLimiter,
    user_rate: UserRateLimiter,
    session_ids: SessionIds,
    sequencer: Sequencer,
}

/// What a [`Service`] is built from.
pub struct ServiceParts {
    pub store: Store,
    pub bus: Arc<dyn Bus>,
    /// Who is online where; the multi-device policy reads it at every login.
    pub registry: Arc<dyn SessionRegistry>,
    pub apps: Apps,
    /// Webhooks; [`NoHooks`] for none.
    pub hooks: Arc<dyn Hooks>,
    pub limits: SendLimits,
}

/// Send-rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendLimits {
    /// Messages per second one group accepts (Tencent: 40, for every group type); 0 = unlimited.
    pub group_messages_per_second: u32,
    /// Messages per second one user may send; 0 = unlimited (Tencent sets no client limit).
    pub user_messages_per_second: u32,
}

impl Default for SendLimits {
    fn default() -> SendLimits {
        SendLimits { group_messages_per_second: 40, user_messages_per_second: 0 }
    }
}

impl Service {
    /// Builds the service from its ports and settings.
    pub fn new(parts: ServiceParts) -> Service {
        let ServiceParts { store, bus, registry, apps, hooks, limits } = parts;
        Service {
            inner: Arc::new(Inner {
                store,
                sequencer: Sequencer::new(bus.clone(), sequencer::GAP_TIMEOUT),
                bus,
                registry,
                apps,
                hooks,
                group_rate: GroupRateLimiter::new(limits.group_messages_per_second),
                user_rate: UserRateLimiter::new(limits.user_messages_per_second),
                session_ids: SessionIds::default(),
            }),
        }
    }

    pub fn apps(&self) -> &Apps {
        &self.inner.apps
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn group_rate(&self) -> &GroupRateLimiter {
        &self.inner.group_rate
    }

    fn user_rate(&self) -> &UserRateLimiter {
        &self.inner.user_rate
    }

    fn hooks(&self) -> &dyn Hooks {
        self.inner.hooks.as_ref()
    }

    fn bus(&self) -> &dyn Bus {
        self.inner.bus.as_ref()
    }

    fn sequencer(&self) -> &Sequencer {
        &self.inner.sequencer
    }

    fn registry(&self) -> &dyn SessionRegistry {
        self.inner.registry.as_ref()
    }

    fn next_session_id(&self) -> SessionId {
        self.inner.session_ids.next()
    }
}

/// The current time in unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as u64).unwrap_or(0)
}
