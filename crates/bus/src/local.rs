//! `LocalBus`: the in-process bus of a single node. Sessions are kept per (app, user) in a map
//! sharded by hash so unrelated users do not contend.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use mynah_proto::requests::Platform;

use crate::queue::{QueueSender, session_queue};
use crate::{AppId, Bus, Delivery, SessionId, SessionInfo, Subscription};

const SHARDS: usize = 64;

struct Entry {
    info: SessionInfo,
    sender: QueueSender,
}

/// The sessions of one (app, user).
struct UserSessions {
    app: AppId,
    user: Box<str>,
    entries: Vec<Entry>,
}

/// Users by the hash of (app, user). A group message looks up every member, so each member is
/// hashed once (with the bus's random keys, which also picks the shard) and the map uses that
/// hash as it is; users whose hashes collide share a bucket.
#[derive(Default)]
struct Shard {
    users: HashMap<u64, Vec<UserSessions>, BuildHasherDefault<Prehashed>>,
}

impl Shard {
    fn entries(&self, key: UserKey<'_>) -> Option<&Vec<Entry>> {
        let bucket = self.users.get(&key.hash)?;
        bucket.iter().find(|user| key.matches(user)).map(|user| &user.entries)
    }

    /// Applies `change` to the user's sessions, then forgets the user if none are left.
    fn update(&mut self, key: UserKey<'_>, change: impl FnOnce(&mut Vec<Entry>)) {
        let Some(bucket) = self.users.get_mut(&key.hash) else { return };
        let Some(position) = bucket.iter().position(|user| key.matches(user)) else { return };
        change(&mut bucket[position].entries);
        if bucket[position].entries.is_empty() {
            bucket.swap_remove(position);
            if bucket.is_empty() {
                self.users.remove(&key.hash);
            }
        }
    }
}

/// A user and the hash that finds it.
#[derive(Clone, Copy)]
struct UserKey<'a> {
    app: AppId,
    user: &'a str,
    hash: u64,
}

impl UserKey<'_> {
    fn matches(&self, sessions: &UserSessions) -> bool {
        sessions.app == self.app && *sessions.user == *self.user
    }

    fn shard(&self) -> usize {
        // The middle bits: the map uses the low bits for its slot and the top ones for its tags.
        ((self.hash >> 32) as usize) % SHARDS
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

struct Inner {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
}

impl Inner {
    fn key<'a>(&self, app: AppId, user: &'a str) -> UserKey<'a> {
        UserKey { app, user, hash: self.hasher.hash_one((app, user)) }
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        self.shards[index].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remove(&self, app: AppId, user: &str, session: SessionId) {
        let key = self.key(app, user);
        self.lock(key.shard()).update(key, |entries| entries.retain(|entry| entry.info.session != session));
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
        let (sender, receiver) = session_queue();
        let info = SessionInfo { session, platform };
        let mut over_limit = Vec::new();
        {
            let key = self.inner.key(app, user);
            let mut shard = self.inner.lock(key.shard());
            let bucket = shard.users.entry(key.hash).or_default();
            let position = match bucket.iter().position(|sessions| key.matches(sessions)) {
                Some(position) => position,
                None => {
                    bucket.push(UserSessions { app, user: user.into(), entries: Vec::new() });
                    bucket.len() - 1
                }
            };
            let entries = &mut bucket[position].entries;
            entries.push(Entry { info, sender });
            let mut same_platform: Vec<&SessionInfo> =
                entries.iter().map(|entry| &entry.info).filter(|info| info.platform == platform).collect();
            if same_platform.len() > max_per_platform.max(1) {
                // By login order, not registration order: a login that was slow to finish (its
                // client may have given up on it) must not displace one that started later.
                same_platform.sort_by_key(|info| info.session);
                let excess = same_platform.len() - max_per_platform.max(1);
                over_limit.extend(same_platform[..excess].iter().map(|info| info.session));
            }
        }
        let guard = Unsubscribe { inner: self.inner.clone(), app, user: user.to_owned(), session };
        (Subscription::new(receiver, Box::new(guard)), over_limit)
    }

    fn publish(&self, app: AppId, users: &[&str], delivery: Delivery) {
        // Visit users shard by shard so a group message locks each shard once, not once per member.
        // The sending session never gets its own message back: not queueing it there saves waking
        // that connection for nothing on every send.
        let except = match &delivery {
            Delivery::Push { except_session, .. } => *except_session,
            Delivery::Kick { .. } => None,
        };
        let mut keys: Vec<UserKey<'_>> = users.iter().map(|user| self.inner.key(app, user)).collect();
        keys.sort_unstable_by_key(UserKey::shard);
        for same_shard in keys.chunk_by(|a, b| a.shard() == b.shard()) {
            let mut shard = self.inner.lock(same_shard[0].shard());
            for key in same_shard {
                // A session whose queue is full is too slow: dropping its sender closes its queue,
                // and the gateway then ends the connection so the client reconnects and resyncs.
                shard.update(*key, |entries| {
                    entries.retain(|entry| {
                        Some(entry.info.session) == except || entry.sender.try_send(delivery.clone()).is_ok()
                    })
                });
            }
        }
    }

    fn is_online(&self, app: AppId, user: &str) -> bool {
        let key = self.inner.key(app, user);
        self.inner.lock(key.shard()).entries(key).is_some()
    }

    fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        let key = self.inner.key(app, user);
        let shard = self.inner.lock(key.shard());
        shard.entries(key).map(|entries| entries.iter().map(|entry| entry.info.clone()).collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use mynah_proto::codes::KickReason;
    use mynah_proto::frames::Push;
    use mynah_proto::requests::Kicked;

    use super::*;

    #[test]
    fn delivers_to_every_session_and_unsubscribes_on_drop() {
        let bus = LocalBus::default();
        let (mut first, kicked) = bus.subscribe(1, "alice", 10, Platform::Web, 1);
        assert!(kicked.is_empty());
        let (mut second, kicked) = bus.subscribe(1, "alice", 11, Platform::Android, 1);
        assert!(kicked.is_empty());
        bus.publish(1, &["alice"], Delivery::Kick { session: 10, reason: KickReason::RestApi });
        assert!(first.receiver.try_recv().is_some());
        assert!(second.receiver.try_recv().is_some());
        // Another app with the same user ID sees nothing.
        assert!(!bus.is_online(2, "alice"));
        drop(first);
        assert_eq!(bus.sessions(1, "alice").len(), 1);
        drop(second);
        assert!(!bus.is_online(1, "alice"));
    }

    #[test]
    fn a_group_publish_reaches_every_member_once_and_drops_a_full_queue() {
        let bus = LocalBus::default();
        let names: Vec<String> = (0..200).map(|index| format!("member{index}")).collect();
        let mut subscriptions: Vec<Subscription> = names
            .iter()
            .enumerate()
            .map(|(index, name)| bus.subscribe(1, name, index as u64, Platform::Web, 1).0)
            .collect();
        let mut members: Vec<&str> = names.iter().map(String::as_str).collect();
        members.push("offline");
        let kick = Delivery::Kick { session: 0, reason: KickReason::RestApi };
        bus.publish(1, &members, kick.clone());
        for subscription in &mut subscriptions {
            assert!(subscription.receiver.try_recv().is_some());
            assert!(subscription.receiver.try_recv().is_none());
        }
        // member0 stops taking deliveries: once its queue is full, the bus forgets it.
        for _ in 0..crate::SESSION_QUEUE_CAPACITY {
            bus.publish(1, &["member0"], kick.clone());
        }
        assert!(bus.is_online(1, "member0"));
        bus.publish(1, &["member0"], kick);
        assert!(!bus.is_online(1, "member0"));
        assert!(bus.is_online(1, "member1"));
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

    #[test]
    fn a_push_is_not_queued_for_the_session_it_excludes() {
        let bus = LocalBus::default();
        let (mut sender, _) = bus.subscribe(1, "dave", 20, Platform::Web, 1);
        let (mut other_device, _) = bus.subscribe(1, "dave", 21, Platform::Android, 1);
        let push = crate::SharedPush::new(Push::Kicked(Kicked { reason: KickReason::RestApi }));
        bus.publish(1, &["dave"], Delivery::Push { push, except_session: Some(20) });
        assert!(sender.receiver.try_recv().is_none(), "the sending session is not woken for its own push");
        assert!(other_device.receiver.try_recv().is_some());
    }

    #[test]
    fn a_login_that_finishes_late_displaces_itself_not_a_newer_one() {
        let bus = LocalBus::default();
        // Session 8's login started later but finished first; session 7's client gave up on it.
        let (_newer, kicked) = bus.subscribe(1, "carol", 8, Platform::Web, 1);
        assert!(kicked.is_empty());
        let (_late, kicked) = bus.subscribe(1, "carol", 7, Platform::Web, 1);
        assert_eq!(kicked, vec![7]);
    }
}
