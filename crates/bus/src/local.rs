//! `LocalBus`: the in-process bus of a single node. Topics (a user's, or a group's) map to the
//! sessions subscribed to them, in a map sharded by hash so unrelated topics do not contend.
//!
//! A group publish costs one hash, one shard lock and one queue send per subscribed session: the
//! subscribers of a group topic are kept with the topic, so nothing is looked up per member.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::queue::{QueueSender, SendError, session_queue};
use crate::registry::LocalRegistry;
use crate::{AppId, Bus, Delivery, Registration, SessionId, SessionInfo, SessionRegistry, Subscription, Topic};

const SHARDS: usize = 64;

/// The in-process bus and session registry. Cheap to clone.
#[derive(Clone)]
pub struct LocalBus {
    inner: Arc<Inner>,
    registry: LocalRegistry,
}

/// Told when a topic gains its first session on this bus or loses its last one: a cluster backend
/// that wraps a [`LocalBus`] listens to other nodes only for the topics this node has sessions in.
///
/// It is called with the lock that orders the topic's changes held, so the calls for one topic
/// come in the order the changes happened; it must not block or call back into the bus.
pub trait TopicInterest: Send + Sync + 'static {
    fn changed(&self, app: AppId, topic: Topic<'_>, interested: bool);
}

impl Default for LocalBus {
    fn default() -> LocalBus {
        LocalBus::build(None)
    }
}

impl LocalBus {
    /// A bus that tells `interest` whenever a topic gains its first session or loses its last.
    pub fn with_interest(interest: Arc<dyn TopicInterest>) -> LocalBus {
        LocalBus::build(Some(interest))
    }

    fn build(interest: Option<Arc<dyn TopicInterest>>) -> LocalBus {
        LocalBus {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
                hasher: RandomState::new(),
                interest,
            }),
            registry: LocalRegistry::default(),
        }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn subscribe(&self, app: AppId, user: &str, session: SessionId) -> Subscription {
        let (sender, receiver) = session_queue();
        let entry = Arc::new(Entry { session, sender, groups: Mutex::new(EntryGroups::default()) });
        let key = self.inner.key(app, Kind::User, user);
        let mut shard = self.inner.lock(key.shard());
        if shard.add(key, entry.clone()) {
            self.inner.tell(key, true);
        }
        drop(shard);
        let guard = Unsubscribe { inner: self.inner.clone(), app, user: user.to_owned(), entry };
        Subscription::new(receiver, Box::new(guard))
    }

    async fn load_groups(&self, app: AppId, user: &str, session: SessionId, groups: &[String], as_of: u64) {
        let Some(entry) = self.inner.user_entries(app, user).into_iter().find(|entry| entry.session == session) else {
            return;
        };
        // Groups the session was told of earlier (at or before `as_of`) but that the list lacks
        // were left since: the list is newer.
        let stale: Vec<Box<str>> = {
            let entry_groups = lock(&entry.groups);
            entry_groups
                .decided
                .iter()
                .filter(|(group, decided)| {
                    decided.member && decided.position <= as_of && !groups.iter().any(|listed| **listed == ***group)
                })
                .map(|(group, _)| group.clone())
                .collect()
        };
        for group in stale {
            self.inner.decide(&entry, app, &group, Decided { member: false, position: as_of });
        }
        for group in groups {
            self.inner.decide(&entry, app, group, Decided { member: true, position: as_of });
        }
    }

    async fn join_group(&self, app: AppId, user: &str, group: &str, position: u64) {
        for entry in self.inner.user_entries(app, user) {
            self.inner.decide(&entry, app, group, Decided { member: true, position });
        }
    }

    async fn leave_group(&self, app: AppId, user: &str, group: &str, position: u64) {
        for entry in self.inner.user_entries(app, user) {
            self.inner.decide(&entry, app, group, Decided { member: false, position });
        }
    }

    async fn publish(&self, app: AppId, topic: Topic<'_>, delivery: Delivery) {
        let key = match topic {
            Topic::User(user) => self.inner.key(app, Kind::User, user),
            Topic::Group(group) => self.inner.key(app, Kind::Group, group),
        };
        // The sending session never gets its own message back: not queueing it there saves waking
        // that connection for nothing on every send.
        // A kick is queued for its session only: the user's other sessions need not wake for it.
        let (except, only) = match &delivery {
            Delivery::Push { except_session, .. } => (*except_session, None),
            Delivery::Kick { session, .. } => (None, Some(*session)),
        };
        let mut shard = self.inner.lock(key.shard());
        let emptied = shard.update(key, |entries| {
            entries.retain(|entry| {
                if Some(entry.session) == except || only.is_some_and(|only| only != entry.session) {
                    return true;
                }
                match entry.sender.try_send(delivery.clone()) {
                    Ok(()) => true,
                    // A session whose queue is full is too slow: closing its queue makes the gateway
                    // end the connection, so the client reconnects and resyncs; its other topics
                    // drop it when they find the queue closed, and its unsubscription removes it.
                    Err(SendError::Full) => {
                        entry.sender.close();
                        false
                    }
                    Err(SendError::Closed) => false,
                }
            })
        });
        if emptied {
            self.inner.tell(key, false);
        }
    }
}

#[async_trait]
impl SessionRegistry for LocalBus {
    async fn register(&self, app: AppId, user: &str, session: SessionInfo) -> Registration {
        self.registry.register(app, user, session)
    }

    async fn sessions(&self, app: AppId, user: &str) -> Vec<SessionInfo> {
        self.registry.sessions(app, user)
    }

    async fn is_online(&self, app: AppId, user: &str) -> bool {
        self.registry.is_online(app, user)
    }
}

/// One subscribed session.
struct Entry {
    session: SessionId,
    sender: QueueSender,
    groups: Mutex<EntryGroups>,
}

#[derive(Default)]
struct EntryGroups {
    /// Set when the session unsubscribed: no group topic may take it again.
    gone: bool,
    /// Per group: whether the session listens, and the change position that decided it.
    decided: HashMap<Box<str>, Decided>,
}

#[derive(Clone, Copy)]
struct Decided {
    member: bool,
    position: u64,
}

#[derive(Clone, Copy, Hash, PartialEq, Eq)]
enum Kind {
    User,
    Group,
}

/// The sessions subscribed to one topic.
struct TopicSessions {
    app: AppId,
    kind: Kind,
    name: Box<str>,
    entries: Vec<Arc<Entry>>,
}

/// Topics by the hash of (kind, app, name). The map uses that hash as it is (it was computed
/// with the bus's random keys, which also picked the shard); topics whose hashes collide share a
/// bucket.
#[derive(Default)]
struct Shard {
    topics: HashMap<u64, Vec<TopicSessions>, BuildHasherDefault<Prehashed>>,
}

impl Shard {
    fn entries(&self, key: TopicKey<'_>) -> Option<&Vec<Arc<Entry>>> {
        let bucket = self.topics.get(&key.hash)?;
        bucket.iter().find(|topic| key.matches(topic)).map(|topic| &topic.entries)
    }

    /// Adds a session to the topic; true if the topic had none.
    fn add(&mut self, key: TopicKey<'_>, entry: Arc<Entry>) -> bool {
        let bucket = self.topics.entry(key.hash).or_default();
        match bucket.iter_mut().find(|topic| key.matches(topic)) {
            Some(topic) => {
                topic.entries.push(entry);
                false
            }
            None => {
                bucket.push(TopicSessions {
                    app: key.app,
                    kind: key.kind,
                    name: key.name.into(),
                    entries: vec![entry],
                });
                true
            }
        }
    }

    /// Applies `change` to the topic's sessions, then forgets the topic if none are left; true if
    /// it did.
    fn update(&mut self, key: TopicKey<'_>, change: impl FnOnce(&mut Vec<Arc<Entry>>)) -> bool {
        let Some(bucket) = self.topics.get_mut(&key.hash) else { return false };
        let Some(position) = bucket.iter().position(|topic| key.matches(topic)) else { return false };
        change(&mut bucket[position].entries);
        if !bucket[position].entries.is_empty() {
            return false;
        }
        bucket.swap_remove(position);
        if bucket.is_empty() {
            self.topics.remove(&key.hash);
        }
        true
    }
}

/// A topic and the hash that finds it.
#[derive(Clone, Copy)]
struct TopicKey<'a> {
    app: AppId,
    kind: Kind,
    name: &'a str,
    hash: u64,
}

impl TopicKey<'_> {
    fn matches(&self, topic: &TopicSessions) -> bool {
        topic.app == self.app && topic.kind == self.kind && *topic.name == *self.name
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
    interest: Option<Arc<dyn TopicInterest>>,
}

impl Inner {
    fn key<'a>(&self, app: AppId, kind: Kind, name: &'a str) -> TopicKey<'a> {
        TopicKey { app, kind, name, hash: self.hasher.hash_one((kind, app, name)) }
    }

    /// Tells the interest listener, if any, that the topic gained its first session or lost its
    /// last. Called with the topic's shard locked, so one topic's calls keep their order.
    fn tell(&self, key: TopicKey<'_>, interested: bool) {
        if let Some(interest) = &self.interest {
            let topic = match key.kind {
                Kind::User => Topic::User(key.name),
                Kind::Group => Topic::Group(key.name),
            };
            interest.changed(key.app, topic, interested);
        }
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        lock(&self.shards[index])
    }

    fn user_entries(&self, app: AppId, user: &str) -> Vec<Arc<Entry>> {
        let key = self.key(app, Kind::User, user);
        self.lock(key.shard()).entries(key).cloned().unwrap_or_default()
    }

    /// Records what the session does with a group's topic unless a newer decision was recorded,
    /// and adds it to or removes it from the topic. Lock order: the entry's groups, then a shard.
    fn decide(&self, entry: &Arc<Entry>, app: AppId, group: &str, decided: Decided) {
        let mut entry_groups = lock(&entry.groups);
        if entry_groups.gone {
            return;
        }
        let before = entry_groups.decided.get(group).copied();
        if before.is_some_and(|before| before.position > decided.position) {
            return;
        }
        entry_groups.decided.insert(group.into(), decided);
        if before.is_some_and(|before| before.member) == decided.member {
            return;
        }
        let key = self.key(app, Kind::Group, group);
        let mut shard = self.lock(key.shard());
        if decided.member {
            if shard.add(key, entry.clone()) {
                self.tell(key, true);
            }
        } else if shard.update(key, |entries| entries.retain(|other| !Arc::ptr_eq(other, entry))) {
            self.tell(key, false);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every value behind these locks is left consistent between statements: a panic elsewhere
    // cannot leave one half-changed.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Unsubscribe {
    inner: Arc<Inner>,
    app: AppId,
    user: String,
    entry: Arc<Entry>,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let groups: Vec<Box<str>> = {
            let mut entry_groups = lock(&self.entry.groups);
            entry_groups.gone = true;
            entry_groups.decided.drain().filter(|(_, decided)| decided.member).map(|(group, _)| group).collect()
        };
        let leave = |key: TopicKey<'_>| {
            let mut shard = self.inner.lock(key.shard());
            if shard.update(key, |entries| entries.retain(|other| !Arc::ptr_eq(other, &self.entry))) {
                self.inner.tell(key, false);
            }
        };
        for group in groups {
            leave(self.inner.key(self.app, Kind::Group, &group));
        }
        leave(self.inner.key(self.app, Kind::User, &self.user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_bus_passes_the_conformance_suite() {
        crate::conformance::run(|| {
            let bus = LocalBus::default();
            (Arc::new(bus.clone()) as Arc<dyn Bus>, Arc::new(bus) as Arc<dyn SessionRegistry>)
        })
        .await;
    }

    #[derive(Default)]
    struct Recorded(Mutex<Vec<String>>);

    impl TopicInterest for Recorded {
        fn changed(&self, app: AppId, topic: Topic<'_>, interested: bool) {
            lock(&self.0).push(format!("{app} {topic:?} {interested}"));
        }
    }

    #[tokio::test]
    async fn interest_is_told_of_a_topics_first_and_last_session() {
        let recorded = Arc::new(Recorded::default());
        let bus = LocalBus::with_interest(recorded.clone());
        let take = || std::mem::take(&mut *lock(&recorded.0));
        let web = bus.subscribe(1, "alice", 1).await;
        let phone = bus.subscribe(1, "alice", 2).await;
        assert_eq!(take(), ["1 User(\"alice\") true"]);
        bus.join_group(1, "alice", "g", 1).await;
        bus.join_group(1, "alice", "g", 2).await;
        assert_eq!(take(), ["1 Group(\"g\") true"]);
        drop(web);
        assert!(take().is_empty(), "the phone still listens");
        bus.leave_group(1, "alice", "g", 3).await;
        assert_eq!(take(), ["1 Group(\"g\") false"]);
        bus.join_group(1, "alice", "h", 4).await;
        drop(phone);
        assert_eq!(take(), ["1 Group(\"h\") true", "1 Group(\"h\") false", "1 User(\"alice\") false"]);
    }
}
