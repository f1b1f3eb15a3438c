//! The application core: every use case, its permission checks and its fan-out decisions.
//!
//! # Layout
//!
//! - [`apps`]: the apps (tenants) this server serves, with their keys and session rules.
//! - [`error`]: [`ServiceError`], a Tencent error code plus a message safe to show a client.
//! - [`login`]: UserSig login, session registration and kick-out.
//! - [`send`]: sending one-to-one and group messages, and their delivery.
//! - [`history`]: history paging and message lookup.
//! - [`conversations`]: conversation list, read marks, unread counts, change-stream sync.
//! - [`groups`]: creating, joining, quitting and listing groups.
//! - [`convert`]: records to wire objects.
//! - [`validate`]: input checks shared by the use cases.
//!
//! The service sees only the store and bus ports; it never names a backend and never does I/O
//! of its own.

pub mod apps;
pub mod conversations;
pub mod convert;
pub mod error;
pub mod groups;
pub mod history;
pub mod login;
pub mod send;
pub mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mynah_bus::{Bus, SessionId};
use mynah_proto::requests::Platform;
use mynah_store::{AppId, Store};

pub use apps::{AppConfig, Apps};
pub use error::ServiceError;

/// A logged-in session: who is asking, from where. Every use case takes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub app: AppId,
    pub user: String,
    pub session_id: SessionId,
    pub platform: Platform,
}

/// The application core. Cheap to clone; every clone shares the same store, bus and apps.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    bus: Arc<dyn Bus>,
    apps: Apps,
    next_session_id: AtomicU64,
}

impl Service {
    pub fn new(store: Store, bus: Arc<dyn Bus>, apps: Apps) -> Service {
        Service { inner: Arc::new(Inner { store, bus, apps, next_session_id: AtomicU64::new(1) }) }
    }

    pub fn apps(&self) -> &Apps {
        &self.inner.apps
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn bus(&self) -> &dyn Bus {
        self.inner.bus.as_ref()
    }

    fn next_session_id(&self) -> SessionId {
        self.inner.next_session_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The current time in unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as u64).unwrap_or(0)
}
