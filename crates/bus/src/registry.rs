//! The session registry of [`LocalBus`](crate::LocalBus): who is online on this node, on which
//! platform, since when. Sharded by user so logins of unrelated users do not contend.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{AppId, Registration, SessionId, SessionInfo};

const SHARDS: usize = 16;

type Sessions = HashMap<(AppId, Box<str>), Vec<SessionInfo>>;

/// Registered sessions by (app, user). Cheap to clone.
#[derive(Clone)]
pub struct LocalRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Vec<Mutex<Sessions>>,
    hasher: RandomState,
}

impl Default for LocalRegistry {
    fn default() -> LocalRegistry {
        LocalRegistry {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
                hasher: RandomState::new(),
            }),
        }
    }
}

impl LocalRegistry {
    /// Registers a session; dropping the registration removes it.
    pub fn register(&self, app: AppId, user: &str, session: SessionInfo) -> Registration {
        let id = session.session;
        self.inner.lock(app, user).entry((app, user.into())).or_default().push(session);
        Registration::new(Box::new(Unregister { inner: self.inner.clone(), app, user: user.to_owned(), session: id }))
    }

    /// The user's sessions, oldest login first.
    pub fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        let mut sessions = self.inner.lock(app, user).get(&(app, user.into())).cloned().unwrap_or_default();
        sessions.sort_by_key(SessionInfo::login_order);
        sessions
    }

    pub fn is_online(&self, app: AppId, user: &str) -> bool {
        self.inner.lock(app, user).contains_key(&(app, user.into()))
    }
}

impl Inner {
    fn lock(&self, app: AppId, user: &str) -> MutexGuard<'_, Sessions> {
        let shard = (self.hasher.hash_one((app, user)) as usize) % SHARDS;
        // A map of plain values: a panic elsewhere cannot leave it half-changed.
        self.shards[shard].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Unregister {
    inner: Arc<Inner>,
    app: AppId,
    user: String,
    session: SessionId,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        let mut sessions = self.inner.lock(self.app, &self.user);
        let key = (self.app, Box::<str>::from(self.user.as_str()));
        if let Some(list) = sessions.get_mut(&key) {
            list.retain(|info| info.session != self.session);
            if list.is_empty() {
                sessions.remove(&key);
            }
        }
    }
}
