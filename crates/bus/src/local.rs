//! `LocalBus`: the in-process bus of a single node. Sessions are kept per (app, user) in a map
//! sharded by hash so unrelated users do not contend.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mynah_proto::requests::Platform;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::{AppId, Bus, Delivery, SESSION_QUEUE_CAPACITY, SessionId, SessionInfo, Subscription};

const SHARDS: usize = 64;

type UserKey = (AppId, String);

struct Entry {
    info: SessionInfo,
    sender: mpsc::Sender<Delivery>,
}

#[derive(Default)]
struct Shard {
    users: HashMap<UserKey, Vec<Entry>>,
}

struct Inner {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    registrations: AtomicU64,
}

impl Inner {
    fn shard(&self, app: AppId, user: &str) -> &Mutex<Shard> {
        let hash = self.hasher.hash_one((app, user));
        &self.shards[(hash as usize) % SHARDS]
    }

    fn remove(&self, app: AppId, user: &str, session: SessionId) {
        let mut shard = self.shard(app, user).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (app, user.to_owned());
        if let Some(entries) = shard.users.get_mut(&key) {
            entries.retain(|entry| entry.info.session != session);
            if entries.is_empty() {
                shard.users.remove(&key);
            }
        }
    }
}

/// The in-process bus. Cheap to clone.
#[derive(Clone)]
pub struct LocalBus {
    inner: Arc<Inner>,
}

impl Default for LocalBus {
    fn default() -> LocalBus {
        LocalBus {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
                hasher: RandomState::new(),
                registrations: AtomicU64::new(0),
            }),
        }
    }
}

struct Unsubscribe {
    inner: Arc<Inner>,
    app: AppId,
    user: String,
    session: SessionId,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        self.inner.remove(self.app, &self.user, self.session);
    }
}

impl Bus for LocalBus {
    fn subscribe(
        &self,
        app: AppId,
        user: &str,
        session: SessionId,
        platform: Platform,
        max_per_platform: usize,
    ) -> (Subscription, Vec<SessionId>) {
        let (sender, receiver) = mpsc::channel(SESSION_QUEUE_CAPACITY);
        let registered = self.inner.registrations.fetch_add(1, Ordering::Relaxed);
        let info = SessionInfo { session, platform, registered };
        let mut over_limit = Vec::new();
        {
            let mut shard = self.inner.shard(app, user).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let entries = shard.users.entry((app, user.to_owned())).or_default();
            entries.push(Entry { info, sender });
            let mut same_platform: Vec<&SessionInfo> =
                entries.iter().map(|entry| &entry.info).filter(|info| info.platform == platform).collect();
            if same_platform.len() > max_per_platform.max(1) {
                same_platform.sort_by_key(|info| info.registered);
                let excess = same_platform.len() - max_per_platform.max(1);
                over_limit.extend(same_platform[..excess].iter().map(|info| info.session));
            }
        }
        let guard = Unsubscribe { inner: self.inner.clone(), app, user: user.to_owned(), session };
        (Subscription::new(receiver, Box::new(guard)), over_limit)
    }

    fn publish(&self, app: AppId, users: &[&str], delivery: Delivery) {
        for user in users {
            let mut shard = self.inner.shard(app, user).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let key = (app, (*user).to_owned());
            let Some(entries) = shard.users.get_mut(&key) else { continue };
            // A session whose queue is full is too slow: dropping its sender closes its channel,
            // and the gateway then ends the connection so the client reconnects and resyncs.
            entries.retain(|entry| match entry.sender.try_send(delivery.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) | Err(TrySendError::Closed(_)) => false,
            });
            if entries.is_empty() {
                shard.users.remove(&key);
            }
        }
    }

    fn is_online(&self, app: AppId, user: &str) -> bool {
        let shard = self.inner.shard(app, user).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        shard.users.contains_key(&(app, user.to_owned()))
    }

    fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        let shard = self.inner.shard(app, user).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        shard
            .users
            .get(&(app, user.to_owned()))
            .map(|entries| entries.iter().map(|entry| entry.info.clone()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use mynah_proto::codes::KickReason;

    use super::*;

    #[test]
    fn delivers_to_every_session_and_unsubscribes_on_drop() {
        let bus = LocalBus::default();
        let (mut first, kicked) = bus.subscribe(1, "alice", 10, Platform::Web, 1);
        assert!(kicked.is_empty());
        let (mut second, kicked) = bus.subscribe(1, "alice", 11, Platform::Android, 1);
        assert!(kicked.is_empty());
        bus.publish(1, &["alice"], Delivery::Kick { session: 10, reason: KickReason::RestApi });
        assert!(first.receiver.try_recv().is_ok());
        assert!(second.receiver.try_recv().is_ok());
        // Another app with the same user ID sees nothing.
        assert!(!bus.is_online(2, "alice"));
        drop(first);
        assert_eq!(bus.sessions(1, "alice").len(), 1);
        drop(second);
        assert!(!bus.is_online(1, "alice"));
    }

    #[test]
    fn reports_the_oldest_sessions_over_the_platform_limit() {
        let bus = LocalBus::default();
        let (_a, _) = bus.subscribe(1, "bob", 1, Platform::Web, 2);
        let (_b, _) = bus.subscribe(1, "bob", 2, Platform::Web, 2);
        let (_c, kicked) = bus.subscribe(1, "bob", 3, Platform::Web, 2);
        assert_eq!(kicked, vec![1]);
        let (_d, kicked) = bus.subscribe(1, "bob", 4, Platform::Ios, 2);
        assert!(kicked.is_empty());
    }
}
